// flagd's schema fixtures (flagd/schemas/json/test/): every positive file
// loads, every negative one is refused. Flag documents go through
// FlagSet::Parse (strict), in the dialect their "$schema" names (flagd.json
// accepts the array form of "flags"); targeting fixtures through
// ValidateTargeting.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "governance/conformance.hpp"
#include "support/catch_tenancy.hpp"
#include "tenancy/flags.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

std::vector<std::filesystem::path> JsonFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".json") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

Result<void> LoadFlagDocument(const std::filesystem::path& path) {
  const boost::json::value doc = ReadJson(path);
  FlagSetOptions options;
  const auto* schema = doc.is_object() ? doc.get_object().if_contains("$schema") : nullptr;
  options.allow_flag_array = schema && schema->is_string() && std::string_view(schema->get_string()).ends_with("flagd.json");
  auto set = FlagSet::Load(doc, options);
  if (!set) return set.error();
  return {};
}

Result<void> CheckTargeting(const std::filesystem::path& path) { return ValidateTargeting(ReadJson(path)); }

struct Count {
  std::size_t total = 0, ok = 0;
  std::vector<std::string> wrong;
};

void Run(const std::filesystem::path& dir, bool positive, Result<void> (*check)(const std::filesystem::path&),
         Count& count) {
  for (const auto& path : JsonFiles(dir)) {
    ++count.total;
    const Result<void> r = check(path);
    if (static_cast<bool>(r) == positive) {
      ++count.ok;
    } else {
      count.wrong.push_back(path.parent_path().parent_path().filename().string() + "/" +
                            path.parent_path().filename().string() + "/" + path.filename().string() +
                            (positive ? " was refused: " + r.error().message : " was accepted"));
    }
    if (!positive && !r) std::cout << "  refused " << path.filename().string() << ": " << r.error().message << "\n";
  }
}

}  // namespace

TEST_CASE("flagd schema fixtures: positives load, negatives are refused", "[flags][flagd][conformance]") {
  const auto base = ConformanceDirOrSkip() / "flagd" / "schemas" / "json" / "test";
  Count positive, negative;
  Run(base / "flags" / "positive", true, LoadFlagDocument, positive);
  Run(base / "flagd" / "positive", true, LoadFlagDocument, positive);
  Run(base / "targeting" / "positive", true, CheckTargeting, positive);
  Run(base / "flags" / "negative", false, LoadFlagDocument, negative);
  Run(base / "targeting" / "negative", false, CheckTargeting, negative);

  std::cout << "flagd schema fixtures: " << positive.ok << "/" << positive.total << " positive loaded, "
            << negative.ok << "/" << negative.total << " negative refused\n";
  for (const auto& w : positive.wrong) std::cout << "  FAILED " << w << "\n";
  for (const auto& w : negative.wrong) std::cout << "  FAILED " << w << "\n";
  CHECK(positive.total == 18);
  CHECK(negative.total == 18);
  CHECK(positive.wrong.empty());
  CHECK(negative.wrong.empty());
}

TEST_CASE("flagd schema examples: minimal loads, full shows the failure branches strict mode refuses",
          "[flags][flagd][conformance]") {
  const auto dir = ConformanceDirOrSkip() / "flagd" / "schemas" / "json" / "examples";
  CHECK(LoadFlagDocument(dir / "minimal.json"));
  // full.json exercises operators' failure branches ({"ends_with": [.., 3]},
  // {"sem_ver": [.., "=", "2.0.0.0"]}) that flagd answers with null at run
  // time and that the targeting schema refuses: strict loading names both,
  // permissive loading serves every flag.
  const auto strict = LoadFlagDocument(dir / "full.json");
  REQUIRE_FALSE(strict);
  CHECK(strict.error().message.find("ends_with") != std::string::npos);
  CHECK(strict.error().message.find("sem_ver") != std::string::npos);
  FlagSetOptions permissive;
  permissive.validation = FlagValidation::kPermissive;
  auto set = FlagSet::Parse(ReadText(dir / "full.json"), permissive);
  REQUIRE(set);
  for (const auto& key : set->Keys()) {
    INFO(key);
    CHECK(set->Evaluate(key, nullptr).error != FlagError::kParseError);
  }
  CHECK(set->GetString("starts-ends-flag", "", boost::json::object{{"id", "abc"}}).value == "prefix");
  CHECK(set->GetString("equal-greater-lesser-version-flag", "", boost::json::object{{"version", "1.0.0"}}).value ==
        "lesser");
}
