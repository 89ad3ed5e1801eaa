// Feature flags: loading and validation, OpenFeature results and typed
// getters, $flagd context, $evaluators, tenants, layering and the store.
#include <boost/json/parse.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/catch_tenancy.hpp"
#include "support/fleet_fixture.hpp"
#include "tenancy/flags.hpp"

using namespace tenancy;

namespace {

boost::json::object Obj(std::string_view text) { return boost::json::parse(text).as_object(); }

FlagSet MustParse(std::string_view json, const FlagSetOptions& options = {}) {
  auto set = FlagSet::Parse(json, options);
  INFO((set ? std::string() : set.error().ToString()));
  REQUIRE(set);
  return *set;
}

std::string LoadError(std::string_view json, const FlagSetOptions& options = {}) {
  auto set = FlagSet::Parse(json, options);
  REQUIRE_FALSE(set);
  CHECK(set.error().code == Errc::kInvalidArgument);
  return set.error().message;
}

constexpr std::string_view kFlags = R"({
  "metadata": {"flagSetId": "platform", "version": "7"},
  "flags": {
    "dispatch-v2": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                    "targeting": {"if": [{"==": [{"var": "tenant.tier"}, "enterprise"]}, "on", null]},
                    "metadata": {"owner": "dispatch", "version": "8"}},
    "greeting": {"state": "ENABLED", "variants": {"hi": "hello", "yo": "hey"}, "defaultVariant": "hi"},
    "max-seats": {"state": "ENABLED", "variants": {"small": 4, "big": 8}, "defaultVariant": "big"},
    "surge": {"state": "ENABLED", "variants": {"none": 1.0, "peak": 1.5}, "defaultVariant": "peak"},
    "branding": {"state": "ENABLED", "variants": {"plain": {"color": "grey"}}, "defaultVariant": "plain"},
    "retired": {"state": "DISABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "no-default": {"state": "ENABLED", "variants": {"a": "A", "b": "B"}},
    "by-key": {"state": "ENABLED", "variants": {"by-key": "matched", "other": "no"}, "defaultVariant": "other",
               "targeting": {"var": "$flagd.flagKey"}},
    "after-launch": {"state": "ENABLED", "variants": {"true": "live", "false": "soon"}, "defaultVariant": "false",
                     "targeting": {">=": [{"var": "$flagd.timestamp"}, 1700000100]}},
    "numbered": {"state": "ENABLED", "variants": {"1": "one", "2.5": "two and a half"}, "defaultVariant": "1",
                 "targeting": {"var": "n"}},
    "ghost": {"state": "ENABLED", "variants": {"a": "A"}, "defaultVariant": "a", "targeting": {"var": "pick"}}
  }
})";

}  // namespace

TEST_CASE("static flags resolve their default variant, typed", "[flags]") {
  const FlagSet set = MustParse(kFlags);
  auto s = set.GetString("greeting", "fallback");
  CHECK(s.value == "hello");
  CHECK(s.variant == "hi");
  CHECK(s.reason == FlagReason::kStatic);
  CHECK(s.ok());

  auto i = set.GetInteger("max-seats", 0);
  CHECK(i.value == 8);
  CHECK(i.reason == FlagReason::kStatic);
  auto f = set.GetFloat("surge", 0);
  CHECK(f.value == 1.5);
  auto o = set.GetObject("branding", {});
  CHECK(o.value == Obj(R"({"color": "grey"})"));
  auto v = set.Evaluate("max-seats", nullptr);
  CHECK(v.value == boost::json::value(8));
  CHECK(set.size() == 11);
  CHECK(set.Contains("greeting"));
  CHECK_FALSE(set.Contains("nope"));
  CHECK(set.Keys().front() == "after-launch");
  CHECK(set.metadata().at("flagSetId").as_string() == "platform");
}

TEST_CASE("reasons and error codes follow OpenFeature", "[flags]") {
  const FlagSet set = MustParse(kFlags);
  auto missing = set.GetBool("nope", true);
  CHECK(missing.value);
  CHECK(missing.reason == FlagReason::kError);
  CHECK(missing.error == FlagError::kFlagNotFound);
  CHECK(missing.variant.empty());
  CHECK(missing.metadata->at("flagSetId").as_string() == "platform");  // the set's metadata, best effort

  auto disabled = set.GetBool("retired", false);
  CHECK_FALSE(disabled.value);
  CHECK(disabled.reason == FlagReason::kDisabled);
  CHECK(disabled.error == FlagError::kNone);
  CHECK(disabled.variant.empty());

  auto no_default = set.GetString("no-default", "code default");
  CHECK(no_default.value == "code default");
  CHECK(no_default.reason == FlagReason::kDefault);
  CHECK(no_default.ok());

  auto ghost = set.GetString("ghost", "code default", Obj(R"({"pick": "zzz"})"));
  CHECK(ghost.value == "code default");
  CHECK(ghost.reason == FlagReason::kError);
  CHECK(ghost.error == FlagError::kGeneral);
  CHECK(ghost.error_message.find("\"zzz\"") != std::string::npos);
  auto ghost_null = set.GetString("ghost", "code default");
  CHECK(ghost_null.value == "A");  // targeting gave null: the default variant
  CHECK(ghost_null.reason == FlagReason::kDefault);

  CHECK(ToString(FlagReason::kTargetingMatch) == "TARGETING_MATCH");
  CHECK(ToString(FlagError::kTypeMismatch) == "TYPE_MISMATCH");
  CHECK(ToString(FlagError::kNone) == "NONE");
}

TEST_CASE("a variant of another type gives the default with TYPE_MISMATCH", "[flags]") {
  const FlagSet set = MustParse(kFlags);
  auto as_string = set.GetString("max-seats", "x");
  CHECK(as_string.value == "x");
  CHECK(as_string.reason == FlagReason::kError);
  CHECK(as_string.error == FlagError::kTypeMismatch);
  CHECK(as_string.variant.empty());
  CHECK(set.GetBool("greeting", false).error == FlagError::kTypeMismatch);
  CHECK(set.GetObject("greeting", {}).error == FlagError::kTypeMismatch);
  CHECK(set.GetFloat("dispatch-v2", 0).error == FlagError::kTypeMismatch);  // booleans are not numbers

  // flagd's numeric coercion: integers widen to floats; floats narrow to
  // integers only when whole.
  auto widened = set.GetFloat("max-seats", 0);
  CHECK(widened.value == 8.0);
  CHECK(widened.ok());
  auto fractional = set.GetInteger("surge", 3);
  CHECK(fractional.value == 3);
  CHECK(fractional.error == FlagError::kTypeMismatch);
  const FlagSet whole = MustParse(R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 10.0}, "defaultVariant": "a"}}})");
  CHECK(whole.GetInteger("f", 0).value == 10);
  CHECK(whole.GetInteger("f", 0).ok());
}

TEST_CASE("targeting sees the context, $flagd.flagKey and $flagd.timestamp", "[flags]") {
  ManualClock clock{TimePoint{std::chrono::seconds{1'700'000'000}}};
  FlagSetOptions options;
  options.clock = &clock;
  const FlagSet set = MustParse(kFlags, options);

  auto by_key = set.GetString("by-key", "");
  CHECK(by_key.value == "matched");
  CHECK(by_key.reason == FlagReason::kTargetingMatch);
  // The caller cannot pose as another flag, nor fake the time.
  CHECK(set.GetString("by-key", "", Obj(R"({"$flagd": {"flagKey": "other"}})")).value == "matched");

  auto before = set.GetString("after-launch", "");
  CHECK(before.value == "soon");
  CHECK(before.variant == "false");  // booleans name variants "true" / "false"
  CHECK(set.GetString("after-launch", "", Obj(R"({"$flagd": {"timestamp": 1800000000}})")).value == "soon");
  clock.Advance(std::chrono::seconds{100});
  CHECK(set.GetString("after-launch", "").value == "live");

  CHECK(set.GetString("numbered", "", Obj(R"({"n": 1})")).value == "one");  // numbers by their string
  CHECK(set.GetString("numbered", "", Obj(R"({"n": 2.5})")).value == "two and a half");
}

TEST_CASE("tenant attributes join the context and cannot be spoofed", "[flags]") {
  const FlagSet set = MustParse(kFlags);
  auto tenant = std::make_shared<Tenant>();
  tenant->id = TenantId::Generate();
  tenant->slug = "acme";
  tenant->tier = "enterprise";

  const boost::json::object ctx = WithTenant(*tenant, Obj(R"({"tenant": {"tier": "free"}, "zone": "north"})"));
  CHECK(ctx.at("tenant").at("id").as_string() == tenant->id.str());
  CHECK(ctx.at("tenant").at("slug").as_string() == "acme");
  CHECK(ctx.at("tenant").at("tier").as_string() == "enterprise");
  CHECK(ctx.at("zone").as_string() == "north");

  const TenantFlags flags(set, FlagSet(), tenant);
  auto on = flags.GetBool("dispatch-v2", false, Obj(R"({"tenant": {"tier": "enterprise"}})"));
  CHECK(on.value);
  CHECK(on.reason == FlagReason::kTargetingMatch);
  CHECK(on.metadata->at("owner").as_string() == "dispatch");
  CHECK(on.metadata->at("version").as_string() == "8");       // the flag's metadata wins
  CHECK(on.metadata->at("flagSetId").as_string() == "platform");

  auto free_tenant = std::make_shared<Tenant>(*tenant);
  free_tenant->tier = "free";
  const TenantFlags free_flags(set, FlagSet(), free_tenant);
  auto off = free_flags.GetBool("dispatch-v2", true, Obj(R"({"tenant": {"tier": "enterprise"}})"));
  CHECK_FALSE(off.value);  // the claim in the request is replaced
  CHECK(off.reason == FlagReason::kDefault);
}

TEST_CASE("a tenant's set overrides the platform's flag by flag", "[flags]") {
  const FlagSet platform = MustParse(kFlags);
  const FlagSet overrides = MustParse(R"({"metadata": {"flagSetId": "acme"}, "flags": {
      "greeting": {"state": "ENABLED", "variants": {"custom": "welcome to Acme"}, "defaultVariant": "custom"},
      "dispatch-v2": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"}}})");
  auto tenant = std::make_shared<Tenant>();
  tenant->id = TenantId::Generate();
  tenant->tier = "enterprise";
  const TenantFlags flags(platform, overrides, tenant);

  CHECK(flags.GetString("greeting", "").value == "welcome to Acme");
  CHECK(flags.GetString("greeting", "").metadata->at("flagSetId").as_string() == "acme");
  CHECK(flags.GetInteger("max-seats", 0).value == 8);  // not overridden: the platform's
  auto disabled = flags.GetBool("dispatch-v2", false);  // overridden even though disabled
  CHECK(disabled.reason == FlagReason::kDisabled);
  CHECK(&flags.SourceOf("greeting") != &flags.SourceOf("max-seats"));
  CHECK(flags.GetBool("nope", true).error == FlagError::kFlagNotFound);
}

TEST_CASE("$evaluators are shared through $ref, nested, with cycles and unknown names refused",
          "[flags]") {
  const FlagSet set = MustParse(R"({
    "$evaluators": {
      "is-staff": {"ends_with": [{"var": "email"}, "@fleet.example"]},
      "staff-in-north": {"and": [{"$ref": "is-staff"}, {"==": [{"var": "zone"}, "north"]}]}
    },
    "flags": {
      "beta": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
               "targeting": {"if": [{"$ref": "staff-in-north"}, "on", "off"]}}
    }})");
  CHECK(set.GetBool("beta", false, Obj(R"({"email": "ann@fleet.example", "zone": "north"})")).value);
  CHECK_FALSE(set.GetBool("beta", false, Obj(R"({"email": "ann@fleet.example", "zone": "south"})")).value);

  const std::string cycle = R"({
    "$evaluators": {"a": {"!": {"$ref": "b"}}, "b": {"!": {"$ref": "a"}}},
    "flags": {"f": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
                    "targeting": {"if": [{"$ref": "a"}, "on", null]}}}})";
  const std::string msg = LoadError(cycle);
  CHECK(msg.find("$ref cycle") != std::string::npos);
  CHECK(msg.find("\"a\" → \"b\" → \"a\"") != std::string::npos);
  // Permissive loading keeps the set and isolates the flag.
  FlagSetOptions permissive;
  permissive.validation = FlagValidation::kPermissive;
  auto loose = MustParse(cycle, permissive);
  auto r = loose.GetBool("f", false);
  CHECK(r.error == FlagError::kParseError);
  CHECK(r.reason == FlagReason::kError);
  CHECK(r.error_message.find("cycle") != std::string::npos);

  const std::string self = R"({"$evaluators": {"a": {"or": [{"$ref": "a"}]}},
    "flags": {"f": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}})";
  CHECK(LoadError(self).find("cycle") != std::string::npos);  // unused, still refused (strict)

  const std::string unknown = R"({"flags": {"f": {"state": "ENABLED", "variants": {"on": true},
    "defaultVariant": "on", "targeting": {"if": [{"$ref": "nowhere"}, "on", null]}}}})";
  const std::string unknown_msg = LoadError(unknown);
  CHECK(unknown_msg.find("flag \"f\"") != std::string::npos);
  CHECK(unknown_msg.find("unknown evaluator \"nowhere\"") != std::string::npos);
  CHECK(unknown_msg.find("/if/0") != std::string::npos);

  // Exponential expansion is bounded by max_nodes.
  std::string bomb = R"({"$evaluators": {"e0": {"==": [1, 1]})";
  for (int i = 1; i <= 30; ++i)
    bomb += ", \"e" + std::to_string(i) + "\": {\"and\": [{\"$ref\": \"e" + std::to_string(i - 1) +
            "\"}, {\"$ref\": \"e" + std::to_string(i - 1) + "\"}]}";
  bomb += R"(}, "flags": {"f": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
    "targeting": {"$ref": "e30"}}}})";
  CHECK(LoadError(bomb).find("more than 10000 values") != std::string::npos);
}

TEST_CASE("strict loading names each fault", "[flags]") {
  struct Case {
    const char* json;
    const char* says;
  };
  const Case cases[] = {
      {"[]", "JSON object"},
      {"{not json", "not valid JSON"},
      {R"({"flag": {}})", "no \"flags\""},
      {R"({"flags": [], "extra": 1})", "unknown top-level property \"extra\""},
      {R"({"flags": []})", "object mapping keys"},
      {R"({"flags": {"f": {"state": "ON", "variants": {"a": 1}}}})", "\"state\" must be"},
      {R"({"flags": {"f": {"variants": {"a": 1}}}})", "no \"state\""},
      {R"({"flags": {"f": {"state": "ENABLED"}}})", "no \"variants\""},
      {R"({"flags": {"f": {"state": "ENABLED", "variants": {}}}})", "must not be empty"},
      {R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": true, "b": "x"}}}})", "variants mix types"},
      {R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": [1]}}}})", "variant \"a\""},
      {R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 9007199254740993}}}})", "2^53"},
      {R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "b"}}})",
       "\"defaultVariant\" \"b\" is not one of the variants"},
      {R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVarient": "a"}}})",
       "unknown property \"defaultVarient\""},
      {R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "metadata": {"k": [1]}}}})", "metadata \"k\""},
      {R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "targeting": {"nope": []}}}})",
       "unknown operator \"nope\""},
      {R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "targeting": [1]}}})", "must be an object"},
      {R"({"metadata": {"k": {}}, "flags": {}})", "the set's metadata"},
      {R"({"$evaluators": {"e": {"sem_ver": [1, "=", "1.0.0"]}}, "flags": {}})", "evaluator \"e\""},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    const std::string msg = LoadError(c.json);
    INFO(msg);
    CHECK(msg.find(c.says) != std::string::npos);
  }
  // Several faults are reported together, each with its flag.
  const std::string many = LoadError(R"({"flags": {
      "one": {"state": "ENABLED", "variants": {}},
      "two": {"state": "OFF", "variants": {"a": 1}}}})");
  CHECK(many.find("flag \"one\"") != std::string::npos);
  CHECK(many.find("flag \"two\"") != std::string::npos);

  // Permissive: the faulty flag answers PARSE_ERROR, the others serve.
  FlagSetOptions permissive;
  permissive.validation = FlagValidation::kPermissive;
  const FlagSet set = MustParse(R"({"flags": {
      "bad": {"state": "ENABLED", "variants": {"a": 1}, "targeting": {"nope": []}},
      "good": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a"}}})",
                                permissive);
  CHECK(set.GetInteger("bad", 5).error == FlagError::kParseError);
  CHECK(set.GetInteger("bad", 5).value == 5);
  CHECK(set.GetInteger("good", 5).value == 1);
}

TEST_CASE("the array form of flags is flagd.json's, by option", "[flags]") {
  const char* json = R"({"flags": [{"key": "a", "state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x"}]})";
  CHECK_FALSE(FlagSet::Parse(json));
  FlagSetOptions options;
  options.allow_flag_array = true;
  const FlagSet set = MustParse(json, options);
  CHECK(set.GetInteger("a", 0).value == 1);
  CHECK(LoadError(R"({"flags": [{"key": "a", "state": "ENABLED", "variants": {"x": 1}},
                                {"key": "a", "state": "ENABLED", "variants": {"x": 1}}]})",
                  options)
            .find("defined twice") != std::string::npos);
  CHECK(LoadError(R"({"flags": [{"state": "ENABLED", "variants": {"x": 1}}]})", options).find("\"key\"") !=
        std::string::npos);
}

TEST_CASE("targeting that exceeds its limits is a GENERAL error, not a crash", "[flags]") {
  FlagSetOptions options;
  options.limits.max_steps = 50;
  const FlagSet set = MustParse(R"({"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a",
      "targeting": {"if": [{"some": [{"var": "list"}, {"==": [{"var": ""}, -1]}]}, "a", null]}}}})",
                                options);
  boost::json::array list;
  for (int i = 0; i < 100; ++i) list.push_back(i);
  auto r = set.GetInteger("f", 7, boost::json::object{{"list", list}});
  CHECK(r.value == 7);
  CHECK(r.error == FlagError::kGeneral);
  CHECK(r.error_message.find("max_steps") != std::string::npos);
}

TEST_CASE("FlagStore swaps sets atomically and readers see whole snapshots", "[flags]") {
  auto version = [](int n) {
    const std::string v = std::to_string(n);
    return MustParse(R"({"flags": {
        "x": {"state": "ENABLED", "variants": {"v": )" + v + R"(}, "defaultVariant": "v"},
        "y": {"state": "ENABLED", "variants": {"v": )" + v + R"(}, "defaultVariant": "v"}}})");
  };
  const std::array<FlagSet, 2> versions = {version(1), version(2)};
  FlagStore store;
  store.SetPlatform(versions[0]);
  auto tenant = std::make_shared<Tenant>();
  tenant->id = TenantId::Generate();
  auto other = std::make_shared<Tenant>();
  other->id = TenantId::Generate();

  store.SetTenant(tenant->id, MustParse(R"({"flags": {"x": {"state": "ENABLED", "variants": {"t": 100}, "defaultVariant": "t"}}})"));
  CHECK(store.For(tenant).GetInteger("x", 0).value == 100);
  CHECK(store.For(other).GetInteger("x", 0).value == 1);
  CHECK(store.Overrides(tenant->id).Contains("x"));
  store.ClearTenant(tenant->id);
  CHECK(store.For(tenant).GetInteger("x", 0).value == 1);
  CHECK(store.Overrides(tenant->id).size() == 0);

  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        const TenantFlags snapshot = store.For(other);
        const auto x = snapshot.GetInteger("x", 0).value;
        const auto y = snapshot.GetInteger("y", 0).value;
        if (x != y || x == 0) ++torn;
        ++reads;
      }
    });
  }
  for (int i = 0; i < 2000; ++i) store.SetPlatform(versions[i % 2]);
  while (reads < 1000) std::this_thread::yield();
  stop = true;
  for (auto& th : readers) th.join();
  CHECK(torn == 0);
}

TEST_CASE("a minted TenantContext brings its tenant into flag evaluation", "[flags]") {
  testing::FleetWorld world;
  ProvisionRequest req;
  req.slug = "acme";
  req.tier = "enterprise";
  req.model = IsolationModel::kShared;  // the tier's model does not matter here
  auto provisioned = world.directory().Provision(req);
  REQUIRE(provisioned);
  const TenantContext ctx = world.Context(provisioned->tenant);

  const boost::json::object attrs = WithTenant(ctx);
  CHECK(attrs.at("tenant").at("slug").as_string() == "acme");
  CHECK(attrs.at("tenant").at("id").as_string() == provisioned->tenant.id.str());

  FlagStore store;
  store.SetPlatform(MustParse(kFlags));
  auto details = store.For(ctx).GetBool("dispatch-v2", false);
  CHECK(details.value);
  CHECK(details.variant == "on");
}
