// A small Gherkin reader for the flagd testbed's .feature files: Feature,
// Background, Scenario, Scenario Outline with Examples (tagged blocks),
// steps with data tables, tags and comments. Outlines are expanded into one
// scenario per example row. Anything else in a file is an error, so a
// construct this reader does not know cannot be skipped silently.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tenancy::testing {

struct GherkinStep {
  std::string text;                             // without its keyword (Given/When/Then/And/But)
  std::vector<std::vector<std::string>> table;  // a data table under the step, header row first
  int line = 0;
};

struct GherkinScenario {
  std::string name;
  std::string file;
  int line = 0;  // of the scenario, or of the example row it was expanded from
  std::set<std::string> tags;  // feature's + scenario's + examples block's
  std::vector<GherkinStep> steps;  // background steps first
};

struct GherkinFeature {
  std::string name;
  std::vector<GherkinScenario> scenarios;
  std::size_t skipped = 0;  // scenarios / example rows dropped for a skip tag
};

// Parses `text` (the contents of `file`). Scenarios and Examples blocks
// carrying any of `skip_tags` are dropped and counted. Throws
// std::runtime_error naming the line on syntax it does not know.
GherkinFeature ParseFeature(std::string_view text, const std::string& file,
                            const std::set<std::string>& skip_tags);

// The "quoted" arguments of a step, with \" and \\ unescaped.
std::vector<std::string> QuotedArguments(std::string_view step_text);

}  // namespace tenancy::testing
