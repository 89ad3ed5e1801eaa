// A small Gherkin reader (see gherkin.hpp).
#include "governance/gherkin.hpp"

#include <algorithm>
#include <stdexcept>

namespace tenancy::testing {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void Throw(const std::string& file, int line, const std::string& what) {
  throw std::runtime_error(file + ":" + std::to_string(line) + ": " + what);
}

// A table row "| a | b\|c |": cells trimmed, with Gherkin's escapes \|, \\ and
// \n undone (anything else, such as \", is kept for the step's own parsing).
std::vector<std::string> SplitRow(std::string_view row, const std::string& file, int line) {
  if (row.size() < 2 || row.back() != '|') Throw(file, line, "a table row must end with '|'");
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < row.size(); ++i) {
    const char c = row[i];
    if (c == '\\' && i + 1 < row.size()) {
      const char next = row[i + 1];
      if (next == '|' || next == '\\') {
        cell += next;
        ++i;
        continue;
      }
      if (next == 'n') {
        cell += '\n';
        ++i;
        continue;
      }
      cell += c;
    } else if (c == '|') {
      cells.emplace_back(Trim(cell));
      cell.clear();
    } else {
      cell += c;
    }
  }
  return cells;
}

bool Keyword(std::string_view line, std::string_view keyword, std::string_view& rest) {
  if (!line.starts_with(keyword)) return false;
  rest = Trim(line.substr(keyword.size()));
  return true;
}

bool Intersects(const std::set<std::string>& a, const std::set<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](const std::string& t) { return b.contains(t); });
}

std::string Substitute(std::string text, const std::vector<std::string>& header,
                       const std::vector<std::string>& row) {
  for (std::size_t i = 0; i < header.size() && i < row.size(); ++i) {
    const std::string placeholder = "<" + header[i] + ">";
    for (std::size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + row[i].size()))
      text.replace(at, placeholder.size(), row[i]);
  }
  return text;
}

struct ExamplesBlock {
  std::set<std::string> tags;
  std::vector<std::string> header;
  std::vector<std::pair<int, std::vector<std::string>>> rows;
};

struct Item {
  GherkinScenario scenario;
  bool outline = false;
  std::vector<ExamplesBlock> blocks;
};

}  // namespace

GherkinFeature ParseFeature(std::string_view text, const std::string& file,
                            const std::set<std::string>& skip_tags) {
  enum class Where { kNone, kBackground, kScenario, kExamples };
  GherkinFeature feature;
  std::set<std::string> pending, feature_tags;
  std::vector<GherkinStep> background;
  std::vector<Item> items;
  Where where = Where::kNone;

  int number = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view raw = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++number;
    const std::string_view line = Trim(raw);
    std::string_view rest;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '@') {
      std::size_t i = 0;
      while (i < line.size()) {
        const std::size_t end = std::min(line.find_first_of(" \t", i), line.size());
        const std::string_view tag = line.substr(i, end - i);
        if (!tag.empty()) {
          if (tag.front() == '#') break;  // a comment after the tags
          if (tag.front() != '@') Throw(file, number, "expected a tag");
          pending.emplace(tag);
        }
        i = end + 1;
      }
    } else if (Keyword(line, "Feature:", rest)) {
      feature.name = std::string(rest);
      feature_tags = std::move(pending);
      pending.clear();
      where = Where::kNone;
    } else if (Keyword(line, "Background:", rest)) {
      where = Where::kBackground;
    } else if (Keyword(line, "Scenario Outline:", rest) || Keyword(line, "Scenario Template:", rest) ||
               Keyword(line, "Scenario:", rest) || Keyword(line, "Example:", rest)) {
      Item item;
      item.outline = line.starts_with("Scenario Outline") || line.starts_with("Scenario Template");
      item.scenario.name = std::string(rest);
      item.scenario.file = file;
      item.scenario.line = number;
      item.scenario.tags = feature_tags;
      item.scenario.tags.insert(pending.begin(), pending.end());
      pending.clear();
      items.push_back(std::move(item));
      where = Where::kScenario;
    } else if (Keyword(line, "Examples:", rest) || Keyword(line, "Scenarios:", rest)) {
      if (items.empty()) Throw(file, number, "Examples outside a scenario");
      items.back().outline = true;
      items.back().blocks.push_back(ExamplesBlock{std::move(pending), {}, {}});
      pending.clear();
      where = Where::kExamples;
    } else if (line.front() == '|') {
      auto row = SplitRow(line, file, number);
      if (where == Where::kExamples) {
        auto& block = items.back().blocks.back();
        if (block.header.empty()) block.header = std::move(row);
        else block.rows.emplace_back(number, std::move(row));
      } else {
        auto& steps = where == Where::kBackground ? background : items.back().scenario.steps;
        if (where == Where::kNone || steps.empty()) Throw(file, number, "a table belongs under a step");
        steps.back().table.push_back(std::move(row));
      }
    } else if (Keyword(line, "Given ", rest) || Keyword(line, "When ", rest) || Keyword(line, "Then ", rest) ||
               Keyword(line, "And ", rest) || Keyword(line, "But ", rest) || Keyword(line, "* ", rest)) {
      if (where != Where::kBackground && where != Where::kScenario)
        Throw(file, number, "a step outside a scenario or background");
      auto& steps = where == Where::kBackground ? background : items.back().scenario.steps;
      steps.push_back(GherkinStep{std::string(rest), {}, number});
    } else {
      Throw(file, number, "unknown Gherkin line: " + std::string(line));
    }
  }

  for (Item& item : items) {
    GherkinScenario& proto = item.scenario;
    proto.steps.insert(proto.steps.begin(), background.begin(), background.end());
    const bool skip = Intersects(proto.tags, skip_tags);
    if (!item.outline) {
      if (skip) ++feature.skipped;
      else feature.scenarios.push_back(proto);
      continue;
    }
    for (const ExamplesBlock& block : item.blocks) {
      if (skip || Intersects(block.tags, skip_tags)) {
        feature.skipped += block.rows.size();
        continue;
      }
      for (const auto& [row_line, row] : block.rows) {
        GherkinScenario s = proto;
        s.line = row_line;
        s.tags.insert(block.tags.begin(), block.tags.end());
        for (GherkinStep& step : s.steps) {
          step.text = Substitute(step.text, block.header, row);
          for (auto& table_row : step.table)
            for (auto& cell : table_row) cell = Substitute(cell, block.header, row);
        }
        feature.scenarios.push_back(std::move(s));
      }
    }
  }
  return feature;
}

std::vector<std::string> QuotedArguments(std::string_view step_text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < step_text.size(); ++i) {
    if (step_text[i] != '"') continue;
    std::string arg;
    std::size_t j = i + 1;
    for (; j < step_text.size() && step_text[j] != '"'; ++j) {
      if (step_text[j] == '\\' && j + 1 < step_text.size() &&
          (step_text[j + 1] == '"' || step_text[j + 1] == '\\')) {
        arg += step_text[++j];
      } else {
        arg += step_text[j];
      }
    }
    if (j >= step_text.size()) throw std::runtime_error("unterminated quote in step: " + std::string(step_text));
    out.push_back(std::move(arg));
    i = j;
  }
  return out;
}

}  // namespace tenancy::testing
