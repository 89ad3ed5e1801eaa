// Loading flagd flag definitions: structure, variants, metadata, targeting.
#include <boost/json/parse.hpp>

#include <set>
#include <utility>

#include "governance/flagd_ops.hpp"
#include "governance/flagd_set.hpp"
#include "tenancy/flags.hpp"

namespace tenancy::detail::flagd {
namespace {

constexpr std::int64_t kMaxSafeInteger = 9007199254740991;  // 2^53 - 1: flagd's numeric range
constexpr std::size_t kMaxReportedFaults = 20;
// Flag documents nest deeper than Boost.JSON's default of 32 when their
// rules do; the rules' own limit is enforced, with a path, by the compiler.
constexpr std::size_t kMaxDocumentDepth = kMaxRuleDepth + 16;

std::string_view View(const boost::json::string& s) noexcept { return {s.data(), s.size()}; }
// Object keys are string_views: viewed in place (never through a temporary string).
std::string_view View(boost::json::string_view s) noexcept { return {s.data(), s.size()}; }

enum class VariantType { kBoolean, kString, kNumber, kObject, kOther };

VariantType TypeOf(const boost::json::value& v) {
  if (v.is_bool()) return VariantType::kBoolean;
  if (v.is_string()) return VariantType::kString;
  if (v.is_int64() || v.is_uint64() || v.is_double()) return VariantType::kNumber;
  if (v.is_object()) return VariantType::kObject;
  return VariantType::kOther;
}

std::string_view TypeName(VariantType t) {
  switch (t) {
    case VariantType::kBoolean: return "a boolean";
    case VariantType::kString: return "a string";
    case VariantType::kNumber: return "a number";
    case VariantType::kObject: return "an object";
    case VariantType::kOther: break;
  }
  return "not a boolean, string, number or object";
}

// Metadata maps names to booleans, strings or numbers (flags.json).
Result<void> CheckMetadata(const boost::json::value& v, std::string_view where) {
  const auto* obj = v.if_object();
  if (!obj) return Fail(Errc::kInvalidArgument, std::string(where) + " must be an object");
  for (const auto& [key, value] : *obj) {
    if (!value.is_string() && !value.is_bool() && !value.is_int64() && !value.is_uint64() && !value.is_double())
      return Fail(Errc::kInvalidArgument,
                  std::string(where) + " " + Quote(View(key)) + " must be a boolean, string or number");
  }
  return {};
}

Error Bad(std::string message) { return Error(Errc::kInvalidArgument, std::move(message)); }

class Loader {
 public:
  explicit Loader(const FlagSetOptions& options)
      : options_(options), strict_(options.validation == FlagValidation::kStrict) {}

  Result<std::shared_ptr<const FlagSetData>> Run(const boost::json::value& doc) {
    const auto* top = doc.if_object();
    if (!top) return Bad("flag definitions are a JSON object with \"flags\"");
    if (auto r = CheckTopLevel(*top); !r) return r.error();

    auto data = std::make_shared<FlagSetData>();
    data->clock = options_.clock ? options_.clock : &SystemClock();
    data->metadata = EmptyMetadata();
    if (const auto* m = top->if_contains("metadata")) {
      if (auto r = CheckMetadata(*m, "the set's metadata"); !r) return r.error();
      if (!m->get_object().empty()) data->metadata = std::make_shared<const boost::json::object>(m->get_object());
    }
    set_metadata_ = data->metadata;

    const boost::json::object* evaluators = nullptr;
    if (const auto* e = top->if_contains("$evaluators")) {
      evaluators = e->if_object();
      if (!evaluators) return Bad("\"$evaluators\" must be an object of targeting rules");
      if (strict_) {
        for (const auto& [name, rule] : *evaluators)
          if (auto r = ValidateTargeting(rule, options_.limits); !r)
            Fault("evaluator " + Quote(View(name)) + ": " + r.error().message);
      }
    }
    refs_.emplace(evaluators, options_.limits);
    if (strict_)
      if (auto r = refs_->CheckAll(); !r) Fault("$evaluators: " + r.error().message);

    auto entries = Entries(*top);
    if (!entries) return entries.error();
    for (const auto& [key, definition, array_form] : *entries) {
      auto flag = LoadFlag(*definition, array_form);
      if (!flag) {
        if (strict_) {
          Fault("flag " + Quote(key) + ": " + flag.error().message);
          continue;
        }
        Flag broken;  // permissive: this flag answers PARSE_ERROR, the others serve
        broken.broken = "flag " + Quote(key) + ": " + flag.error().message;
        broken.metadata = set_metadata_;
        flag = std::move(broken);
      }
      data->flags.insert_or_assign(key, std::move(*flag));
    }
    if (!faults_.empty()) return Bad(JoinFaults());
    return std::shared_ptr<const FlagSetData>(std::move(data));
  }

 private:
  struct Entry {
    std::string key;
    const boost::json::value* definition;
    bool array_form;
  };

  Result<void> CheckTopLevel(const boost::json::object& top) {
    if (!top.contains("flags")) return Bad("flag definitions have no \"flags\"");
    if (!strict_) return {};
    for (const auto& [key, value] : top) {
      const std::string_view k = View(key);
      if (k == "$schema" && !value.is_string()) return Bad("\"$schema\" must be a string");
      if (k != "flags" && k != "$evaluators" && k != "metadata" && k != "$schema")
        return Bad("unknown top-level property " + Quote(k));
    }
    return {};
  }

  // The flags, by key, from the object form or (allow_flag_array) the array form.
  Result<std::vector<Entry>> Entries(const boost::json::object& top) {
    const boost::json::value& flags = top.at("flags");
    std::vector<Entry> out;
    if (const auto* map = flags.if_object()) {
      for (const auto& [key, definition] : *map) {
        if (key.empty()) return Bad("a flag key must not be empty");
        out.push_back({std::string(View(key)), &definition, false});
      }
      return out;
    }
    if (!flags.is_array() || !options_.allow_flag_array)
      return Bad(options_.allow_flag_array ? "\"flags\" must be an object or an array of flags"
                                           : "\"flags\" must be an object mapping keys to flags");
    std::set<std::string, std::less<>> seen;
    for (const auto& definition : flags.get_array()) {
      const auto* obj = definition.if_object();
      const auto* key = obj ? obj->if_contains("key") : nullptr;
      if (!key || !key->is_string() || key->get_string().empty())
        return Bad("every flag of the \"flags\" array needs a non-empty \"key\"");
      if (!seen.insert(std::string(View(key->get_string()))).second)
        return Bad("flag " + Quote(View(key->get_string())) + " is defined twice");
      out.push_back({std::string(View(key->get_string())), &definition, true});
    }
    return out;
  }

  Result<Flag> LoadFlag(const boost::json::value& v, bool array_form) {
    const auto* obj = v.if_object();
    if (!obj) return Bad("a flag definition must be an object");
    if (strict_) {
      for (const auto& [key, value] : *obj) {
        const std::string_view k = View(key);
        if (k != "state" && k != "variants" && k != "defaultVariant" && k != "targeting" && k != "metadata" &&
            !(array_form && k == "key"))
          return Bad("unknown property " + Quote(k));
      }
    }
    Flag flag;
    const auto* state = obj->if_contains("state");
    if (!state) return Bad("no \"state\"");
    if (!state->is_string() || (state->get_string() != "ENABLED" && state->get_string() != "DISABLED"))
      return Bad("\"state\" must be \"ENABLED\" or \"DISABLED\"");
    flag.enabled = state->get_string() == "ENABLED";

    if (auto r = LoadVariants(*obj, flag); !r) return r.error();

    if (const auto* dv = obj->if_contains("defaultVariant"); dv && !dv->is_null()) {
      if (!dv->is_string()) return Bad("\"defaultVariant\" must be a variant's name or null");
      flag.default_variant = std::string(View(dv->get_string()));
      if (strict_ && !flag.variants.contains(*flag.default_variant))
        return Bad("\"defaultVariant\" " + Quote(*flag.default_variant) + " is not one of the variants");
    }

    flag.metadata = set_metadata_;
    if (const auto* m = obj->if_contains("metadata")) {
      if (strict_) {
        if (auto r = CheckMetadata(*m, "metadata"); !r) return r.error();
      } else if (!m->is_object()) {
        return Bad("\"metadata\" must be an object");
      }
      if (!m->get_object().empty()) {
        auto merged = std::make_shared<boost::json::object>(*set_metadata_);
        for (const auto& [key, value] : m->get_object()) (*merged)[key] = value;  // the flag's win
        flag.metadata = std::move(merged);
      }
    }

    if (const auto* t = obj->if_contains("targeting"))
      if (auto r = LoadTargeting(*t, flag); !r) return r.error();
    return flag;
  }

  Result<void> LoadVariants(const boost::json::object& obj, Flag& flag) {
    const auto* variants = obj.if_contains("variants");
    if (!variants) return Bad("no \"variants\"");
    const auto* map = variants->if_object();
    if (!map) return Bad("\"variants\" must be an object");
    if (map->empty()) return Bad("\"variants\" must not be empty");
    std::optional<std::pair<std::string_view, VariantType>> first;
    for (const auto& [name, value] : *map) {
      if (name.empty()) return Bad("a variant name must not be empty");
      if (!strict_) continue;
      const VariantType type = TypeOf(value);
      if (type == VariantType::kOther)
        return Bad("variant " + Quote(View(name)) + " is " + std::string(TypeName(type)));
      if (first && first->second != type)
        return Bad("variants mix types: " + Quote(first->first) + " is " + std::string(TypeName(first->second)) +
                   ", " + Quote(View(name)) + " is " + std::string(TypeName(type)));
      if (!first) first.emplace(View(name), type);
      const bool out_of_range = (value.is_int64() && (value.get_int64() > kMaxSafeInteger ||
                                                      value.get_int64() < -kMaxSafeInteger)) ||
                                (value.is_uint64() && value.get_uint64() > static_cast<std::uint64_t>(kMaxSafeInteger));
      if (out_of_range) return Bad("variant " + Quote(View(name)) + " is beyond ±(2^53 - 1)");
    }
    flag.variants = *map;
    return {};
  }

  Result<void> LoadTargeting(const boost::json::value& targeting, Flag& flag) {
    if (!targeting.is_object()) return Bad("\"targeting\" must be an object");
    if (targeting.get_object().empty()) return {};  // no targeting
    if (strict_)
      if (auto r = CheckTargetingSchema(targeting); !r) return Bad("targeting: " + r.error().message);
    auto expanded = refs_->Expand(targeting);
    if (!expanded) return Bad("targeting: " + expanded.error().message);
    auto rule = Rule::Compile(*expanded, options_.limits, FlagdOperators());
    if (!rule) return Bad("targeting: " + rule.error().message);
    flag.targeting = std::move(*rule);
    return {};
  }

  void Fault(std::string message) { faults_.push_back(std::move(message)); }

  std::string JoinFaults() const {
    std::string out;
    for (std::size_t i = 0; i < faults_.size() && i < kMaxReportedFaults; ++i) {
      if (i) out += "; ";
      out += faults_[i];
    }
    if (faults_.size() > kMaxReportedFaults)
      out += "; and " + std::to_string(faults_.size() - kMaxReportedFaults) + " more";
    return out;
  }

  const FlagSetOptions& options_;
  const bool strict_;
  std::shared_ptr<const boost::json::object> set_metadata_;
  std::optional<RefResolver> refs_;
  std::vector<std::string> faults_;
};

}  // namespace

const std::shared_ptr<const boost::json::object>& EmptyMetadata() {
  static const auto empty = std::make_shared<const boost::json::object>();
  return empty;
}

}  // namespace tenancy::detail::flagd

namespace tenancy {

FlagSet::FlagSet() {
  static const auto empty = [] {
    auto d = std::make_shared<detail::flagd::FlagSetData>();
    d->metadata = detail::flagd::EmptyMetadata();
    d->clock = &SystemClock();
    return std::shared_ptr<const detail::flagd::FlagSetData>(std::move(d));
  }();
  data_ = empty;
}

Result<FlagSet> FlagSet::Parse(std::string_view json, const FlagSetOptions& options) {
  boost::system::error_code ec;
  boost::json::parse_options parse_options;
  parse_options.max_depth = detail::flagd::kMaxDocumentDepth;
  boost::json::value doc = boost::json::parse(json, ec, {}, parse_options);
  if (ec) return Fail(Errc::kInvalidArgument, "flag definitions are not valid JSON: " + ec.message());
  return Load(doc, options);
}

Result<FlagSet> FlagSet::Load(const boost::json::value& document, const FlagSetOptions& options) {
  detail::flagd::Loader loader(options);
  auto data = loader.Run(document);
  if (!data) return data.error();
  return FlagSet(std::move(*data));
}

bool FlagSet::Contains(std::string_view key) const noexcept { return data_->flags.contains(key); }

std::vector<std::string> FlagSet::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(data_->flags.size());
  for (const auto& [key, flag] : data_->flags) keys.push_back(key);
  return keys;
}

std::size_t FlagSet::size() const noexcept { return data_->flags.size(); }

const boost::json::object& FlagSet::metadata() const noexcept { return *data_->metadata; }

}  // namespace tenancy
