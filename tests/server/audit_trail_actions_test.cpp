// The audit trail over real sockets: every control-plane and admin action
// leaves exactly one entry per chain it belongs to, with the caller, tenant,
// action, target, outcome and the request id the server echoed; refusals
// are recorded as denied or failed with their code; reads and the data
// plane leave nothing; no secret reaches an entry or the file.
#include "audit_trail_fixture.hpp"

#include <algorithm>
#include <set>

#include "middleware/audit_trail.hpp"
#include "ops/webhook_receiver.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;
using tenancy::AuditActorKind;
using tenancy::AuditOutcome;
using tenancy::AuditRecord;

// Onboards `slug` as the bootstrap operator over the socket.
struct Made {
  Onboarded t;
  Answer answer;
};
Made OnboardVia(AuditServer& s, const std::string& slug, const std::string& extra = "") {
  Answer a = s.Op(V::post, "/v1/tenants",
                  R"({"slug":")" + slug + R"(","admin":{"email":"admin@)" + slug + R"(.example"})" +
                      extra + "}");
  INFO(a.res.body());
  REQUIRE(a.res.result() == S::created);
  const json::value v = a.json();
  Made m{{}, a};
  m.t.id = Str(v.at("tenant"), "id");
  m.t.slug = Str(v.at("tenant"), "slug");
  m.t.client_id = Str(v.at("admin").at("api_key"), "client_id");
  m.t.key = Str(v.at("admin").at("api_key"), "key");
  return m;
}

void CheckActor(const AuditRecord& r, const std::string& id, AuditActorKind kind) {
  CHECK(r.actor.id == id);
  CHECK(r.actor.kind == kind);
}

void CheckSuccess(const AuditRecord& r, const std::string& action, const std::string& target) {
  CHECK(r.action == action);
  CHECK(r.target == target);
  CHECK(r.outcome == AuditOutcome::kSuccess);
  CHECK(r.code.empty());
}

// An operator action: one entry on the platform chain, one on the tenant's,
// the same but for the chain. Returns the tenant's.
AuditRecord OperatorAction(AuditServer& s, const Answer& a, const std::string& tenant_id,
                           const std::string& action) {
  INFO(action << " → " << a.status() << " " << a.res.body());
  REQUIRE(a.status() < 300);
  const AuditRecord p = s.One("platform", a);
  const AuditRecord t = s.One(tenant_id, a);
  for (const AuditRecord* r : {&p, &t}) {
    CheckSuccess(*r, action, "tenant:" + tenant_id);
    CheckActor(*r, AuditServer::KeyId(s.op()), AuditActorKind::kOperator);
  }
  CHECK(p.details == t.details);
  CHECK(p.at == t.at);
  return t;
}

// A tenant admin action: one entry on its tenant's chain, none elsewhere.
AuditRecord AdminAction(AuditServer& s, const Made& m, const Answer& a, const std::string& action,
                        const std::string& target) {
  INFO(action << " → " << a.status() << " " << a.res.body());
  REQUIRE(a.status() < 300);
  const AuditRecord r = s.One(m.t.id, a);
  CheckSuccess(r, action, target);
  CheckActor(r, m.t.client_id, AuditActorKind::kApiKey);
  CHECK(s.AnyOf(a.request_id).size() == 1);
  return r;
}

const std::string kZones = R"({"type":"FeatureCollection","features":[{"type":"Feature",
  "properties":{"id":"city"},"geometry":{"type":"Polygon",
  "coordinates":[[[13.30,52.40],[13.50,52.40],[13.50,52.60],[13.30,52.60],[13.30,52.40]]]}}]})";
const std::string kFlags =
    R"({"flags":{"new-ui":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on"},)"
    R"("beta":{"state":"DISABLED","variants":{"on":true,"off":false},"defaultVariant":"off"}}})";
const std::string kTrip =
    R"({"pickup":{"lon":13.401,"lat":52.501},"dropoff":{"lon":13.45,"lat":52.52},)"
    R"("rider":{"name":"Rita Rider","phone":"+4930123456"}})";

TEST_CASE("every operator action leaves one entry on the platform chain and one on the tenant's",
          "[server][audit_trail]") {
  AuditServer s;
  const Made alpha = OnboardVia(s, "alpha");
  const std::string id = alpha.t.id;

  // Onboarding: the new tenant's id, its admin key's id, never the key.
  {
    const AuditRecord r = OperatorAction(s, alpha.answer, id, "tenant.onboard");
    const json::object d = DetailsOf(r);
    CHECK(d.at("slug").as_string() == "alpha");
    CHECK(d.at("admin_key_id").as_string() == alpha.t.client_id);
    CHECK(r.seq == 1);  // the tenant's chain starts with its onboarding
  }
  // Update and tier change (by slug and by id).
  {
    const Answer a = s.Op(V::patch, "/v1/tenants/alpha", R"({"display_name":"Alpha Cabs"})");
    const AuditRecord r = OperatorAction(s, a, id, "tenant.update");
    CHECK(DetailsOf(r).at("fields").as_array() == json::array{"display_name"});
  }
  {
    const Answer a = s.Op(V::patch, "/v1/tenants/" + id, R"({"tier":"premium"})");
    const json::object d = DetailsOf(OperatorAction(s, a, id, "tenant.change_tier"));
    CHECK(d.at("from_tier").as_string() == "standard");
    CHECK(d.at("to_tier").as_string() == "premium");
  }
  // Lifecycle: quarantine, release, suspend, resume.
  {
    const Answer a = s.Op(V::post, "/v1/tenants/alpha/quarantine", R"({"reason":"noisy neighbour"})");
    const json::object d = DetailsOf(OperatorAction(s, a, id, "tenant.quarantine"));
    CHECK(d.at("reason").as_string() == "noisy neighbour");
    CHECK(d.at("from").as_string() == "active");
  }
  OperatorAction(s, s.Op(V::post, "/v1/tenants/alpha/resume", R"({"reason":"calm again"})"), id,
                 "tenant.release");
  OperatorAction(s, s.Op(V::post, "/v1/tenants/alpha/suspend", R"({"reason":"unpaid"})"), id,
                 "tenant.suspend");
  OperatorAction(s, s.Op(V::post, "/v1/tenants/" + id + "/resume", R"({"reason":"paid"})"), id,
                 "tenant.resume");
  // Key rotation.
  {
    const Answer a = s.Op(V::post, "/v1/tenants/alpha/rotate-key");
    CHECK(DetailsOf(OperatorAction(s, a, id, "tenant.rotate_key")).at("primary_version").as_int64() == 2);
  }
  // Backup, then restore under a new slug: the restore is on the new
  // tenant's chain (and the platform's), not on the source's.
  const Answer backup = s.Op(V::post, "/v1/tenants/alpha/backup");
  {
    const json::object d = DetailsOf(OperatorAction(s, backup, id, "tenant.backup"));
    CHECK(d.at("checksum").as_string() == std::string(backup.res["Backup-Checksum"]));
  }
  {
    const Answer a = s.Call(V::post, "/v1/restore?as=alpha-copy", s.op(), backup.res.body(), {},
                            "application/octet-stream");
    REQUIRE(a.status() == 201);
    const std::string copy = Str(a.json().at("tenant"), "id");
    REQUIRE(copy != id);
    const json::object d = DetailsOf(OperatorAction(s, a, copy, "tenant.restore"));
    CHECK(d.at("source_id").as_string() == id);
    CHECK(s.Of(id, a.request_id).empty());
  }
  // Offboarding by DELETE with the reason in the query, by slug.
  {
    const Answer a = s.Op(V::delete_, "/v1/tenants/alpha?reason=contract%20ended");
    CHECK(DetailsOf(OperatorAction(s, a, id, "tenant.offboard")).at("reason").as_string() ==
          "contract ended");
  }
  // The tenant's chain is exactly the story, in order; and it verifies.
  std::vector<std::string> actions;
  for (const auto& r : s.Chain(id)) actions.push_back(r.action);
  CHECK(actions == std::vector<std::string>{"tenant.onboard", "tenant.update", "tenant.change_tier",
                                            "tenant.quarantine", "tenant.release", "tenant.suspend",
                                            "tenant.resume", "tenant.rotate_key", "tenant.backup",
                                            "tenant.offboard"});
  auto v = s.log().Verify(tenancy::AuditChain::Tenant(tenancy::TenantId::Parse(id).value()));
  REQUIRE(v);
  CHECK(v->ok);
  CHECK(v->entries == 10);
}

TEST_CASE("every tenant admin action leaves one entry on its tenant's chain only",
          "[server][audit_trail]") {
  AuditServer s;
  const Made m = OnboardVia(s, "alpha");
  const Onboarded& a = m.t;
  const std::size_t before_platform = s.Chain("platform").size();

  {
    const AuditRecord r = AdminAction(s, m, s.As(a, V::patch, "/v1/settings", R"({"dispatch.radius_m":3000})"),
                                      "settings.update", "settings");
    CHECK(DetailsOf(r).at("keys").as_array() == json::array{"dispatch.radius_m"});
  }
  {
    const std::string rule = R"({"dispatch.rule":"{\"<=\":[{\"var\":\"distance_m\"},3000]}"})";
    const AuditRecord r = AdminAction(s, m, s.As(a, V::patch, "/v1/settings", rule), "rule.update", "settings");
    CHECK(DetailsOf(r).at("keys").as_array() == json::array{"dispatch.rule"});
  }
  {
    const AuditRecord r = AdminAction(
        s, m, s.As(a, V::patch, "/v1/branding", R"({"name":"Alpha Cabs","primary_color":"#112233"})"),
        "branding.update", "settings:branding");
    CHECK(DetailsOf(r).at("fields").as_array().size() == 2);
  }
  AdminAction(s, m, s.As(a, V::put, "/v1/zones", kZones), "zones.replace", "settings:zones");
  AdminAction(s, m, s.As(a, V::patch, "/v1/pricing", R"({"currency":"EUR","base_fare":300})"),
              "pricing.update", "settings:pricing");
  {
    const AuditRecord r = AdminAction(s, m, s.As(a, V::put, "/v1/flags", kFlags), "flags.replace", "flags");
    std::set<std::string> names;
    const json::object details = DetailsOf(r);
    for (const auto& f : details.at("flags").as_array()) names.emplace(f.as_string());
    CHECK(names == std::set<std::string>{"new-ui", "beta"});
  }
  AdminAction(s, m, s.As(a, V::delete_, "/v1/flags"), "flags.delete", "flags");

  // API keys: the new key's id and roles, never the key.
  const Answer created = s.As(a, V::post, "/v1/api-keys", R"({"name":"ci","roles":["dispatcher"]})");
  const std::string key_id = Str(created.json(), "key_id");
  {
    const AuditRecord r = AdminAction(s, m, created, "api_key.create", "api_key:" + key_id);
    CHECK(DetailsOf(r).at("roles").as_array() == json::array{"dispatcher"});
  }
  AdminAction(s, m, s.As(a, V::delete_, "/v1/api-keys/" + key_id), "api_key.revoke", "api_key:" + key_id);

  // Webhooks: create, update, rotate, redeliver, delete.
  tenancy::testing::WebhookReceiver receiver;
  const Answer sub = s.As(a, V::post, "/v1/webhooks",
                          R"({"url":")" + receiver.Url("/in") + R"(","event_types":["ride.*"]})");
  const std::string sub_id = Str(sub.json(), "id");
  {
    const AuditRecord r = AdminAction(s, m, sub, "webhook.create", "webhook:" + sub_id);
    CHECK(DetailsOf(r).at("event_types").as_array() == json::array{"ride.*"});
  }
  {
    const AuditRecord r = AdminAction(s, m, s.As(a, V::patch, "/v1/webhooks/" + sub_id, R"({"description":"x"})"),
                                      "webhook.update", "webhook:" + sub_id);
    CHECK(DetailsOf(r).at("fields").as_array() == json::array{"description"});
  }
  AdminAction(s, m, s.As(a, V::post, "/v1/webhooks/" + sub_id + "/rotate-secret", R"({"overlap_s":60})"),
              "webhook.rotate_secret", "webhook:" + sub_id);
  // A ride's event, delivered; then redelivered by hand. The booking
  // itself (data plane) is not audited.
  const Answer ride = s.As(a, V::post, "/v1/rides", kTrip, {}, {{"Idempotency-Key", "r-1"}});
  REQUIRE(ride.status() == 201);
  CHECK(s.AnyOf(ride.request_id).empty());
  REQUIRE(s.platform().DispatchWebhooks());
  const json::value deliveries = s.As(a, V::get, "/v1/webhooks/deliveries?state=delivered").json();
  REQUIRE(!deliveries.at("items").as_array().empty());
  const std::string delivery = Str(deliveries.at("items").as_array()[0], "id");
  AdminAction(s, m, s.As(a, V::post, "/v1/webhooks/deliveries/" + delivery + "/redeliver"),
              "webhook.redeliver", "delivery:" + delivery);
  AdminAction(s, m, s.As(a, V::delete_, "/v1/webhooks/" + sub_id), "webhook.delete", "webhook:" + sub_id);

  // Nothing of it reached the platform chain.
  CHECK(s.Chain("platform").size() == before_platform);
}

TEST_CASE("reads, the data plane and unauthenticated calls leave no entry", "[server][audit_trail]") {
  AuditServer s;
  const Made m = OnboardVia(s, "alpha");
  const std::size_t before = s.All().size();
  std::vector<Answer> calls;
  calls.push_back(s.As(m.t, V::get, "/v1/settings"));
  calls.push_back(s.As(m.t, V::get, "/v1/api-keys"));
  calls.push_back(s.As(m.t, V::get, "/v1/audit"));
  calls.push_back(s.Op(V::get, "/v1/tenants"));
  calls.push_back(s.Op(V::get, "/v1/tenants/alpha/history"));
  calls.push_back(s.Op(V::get, "/v1/platform/audit"));
  calls.push_back(s.As(m.t, V::post, "/v1/vehicles", R"({"plate":"B-AB 123"})"));
  calls.push_back(s.As(m.t, V::post, "/v1/quotes", R"({"pickup":{"lon":13.4,"lat":52.5},"dropoff":{"lon":13.45,"lat":52.52}})"));
  // No credential, a wrong one: nobody to attribute an action to.
  calls.push_back(s.Call(V::patch, "/t/alpha/v1/settings", "", R"({"dispatch.radius_m":1})"));
  calls.push_back(s.Call(V::post, "/v1/tenants/alpha/suspend", "tk.platform.000000000000.nope",
                         R"({"reason":"x"})"));
  calls.push_back(s.Call(V::post, "/v1/signup", "", R"({"name":"X","slug":"Not A Slug","admin_email":"a@b.example"})"));
  calls.push_back(s.Call(V::post, "/oauth/token", "", "grant_type=client_credentials&client_id=" +
                                                          m.t.client_id + "&client_secret=wrong",
                         {}, "application/x-www-form-urlencoded"));
  for (const Answer& c : calls) {
    INFO(c.status() << " " << c.res.body());
    CHECK(c.status() != 0);
    CHECK(s.AnyOf(c.request_id).empty());
  }
  CHECK(s.All().size() == before);
  // A successful token issuance is not an admin action either.
  const Answer token = s.Call(V::post, "/oauth/token", "",
                              "grant_type=client_credentials&client_id=" + m.t.client_id +
                                  "&client_secret=" + m.t.key,
                              {}, "application/x-www-form-urlencoded");
  REQUIRE(token.status() == 200);
  CHECK(s.AnyOf(token.request_id).empty());
}

TEST_CASE("refusals are recorded as denied or failed, with their code", "[server][audit_trail]") {
  AuditServer s;
  const Made alpha = OnboardVia(s, "alpha");
  const Made beta = OnboardVia(s, "beta");
  const std::string dispatcher = KeyWithRoles(s.world(), alpha.t, {"dispatcher"});

  SECTION("a tenant user without the permission: denied on its tenant's chain") {
    const Answer a = s.As(alpha.t, V::patch, "/v1/settings", R"({"dispatch.radius_m":3000})", dispatcher);
    REQUIRE(a.status() == 403);
    const AuditRecord r = s.One(alpha.t.id, a);
    CHECK(r.action == "settings.update");
    CHECK(r.outcome == AuditOutcome::kDenied);
    CHECK(r.code == "http_403");
    CHECK(DetailsOf(r).at("status").as_int64() == 403);
    CHECK(r.actor.id == AuditServer::KeyId(dispatcher));
    CHECK(r.actor.kind == AuditActorKind::kApiKey);
    CHECK(s.AnyOf(a.request_id).size() == 1);
  }
  SECTION("a value the schema refuses: failed with the problem's code") {
    const Answer a = s.As(alpha.t, V::patch, "/v1/settings", R"({"dispatch.radius_m":5})");
    REQUIRE(a.status() == 422);
    const AuditRecord r = s.One(alpha.t.id, a);
    CHECK(r.outcome == AuditOutcome::kFailed);
    CHECK(r.code == "validation_failed");
    CHECK(r.target == "settings");
  }
  SECTION("malformed JSON: failed, 400") {
    const Answer a = s.As(alpha.t, V::post, "/v1/api-keys", "{not json");
    REQUIRE(a.status() == 400);
    const AuditRecord r = s.One(alpha.t.id, a);
    CHECK(r.action == "api_key.create");
    CHECK(r.outcome == AuditOutcome::kFailed);
    CHECK(r.code == "http_400");
  }
  SECTION("another tenant's object: denied (404)") {
    const Answer a = s.As(alpha.t, V::delete_, "/v1/webhooks/sub_000000000000000000000000");
    REQUIRE(a.status() == 404);
    const AuditRecord r = s.One(alpha.t.id, a);
    CHECK(r.action == "webhook.delete");
    CHECK(r.target == "webhook:sub_000000000000000000000000");
    CHECK(r.outcome == AuditOutcome::kDenied);
  }
  SECTION("a read-only quarantined tenant's write: denied with tenant_read_only") {
    REQUIRE(s.Op(V::post, "/v1/tenants/alpha/quarantine", R"({"reason":"test"})").status() == 200);
    const Answer a = s.As(alpha.t, V::put, "/v1/flags", kFlags);
    REQUIRE(a.status() == 403);
    const AuditRecord r = s.One(alpha.t.id, a);
    CHECK(r.action == "flags.replace");
    CHECK(r.outcome == AuditOutcome::kDenied);
    CHECK(r.code == "tenant_read_only");
  }
  SECTION("a tenant credential on another tenant's address: the platform chain only") {
    for (const Answer& a :
         {s.Call(V::patch, "/t/beta/v1/settings", alpha.t.key, R"({"dispatch.radius_m":3000})"),
          s.Call(V::patch, "/v1/settings", alpha.t.key, R"({"dispatch.radius_m":3000})",
                 {{"X-Tenant", "beta"}})}) {
      REQUIRE(a.status() == 404);
      const AuditRecord r = s.One("platform", a);
      CHECK(r.action == "settings.update");
      CHECK(r.outcome == AuditOutcome::kDenied);
      CHECK(r.actor.id == alpha.t.client_id);
      CHECK(s.Of(beta.t.id, a.request_id).empty());  // beta never learns alpha's key
      CHECK(s.Of(alpha.t.id, a.request_id).empty());
    }
  }
  SECTION("an operator's refused action on a tenant: both chains") {
    const Answer no_reason = s.Op(V::post, "/v1/tenants/beta/suspend", "{}");
    REQUIRE(no_reason.status() == 400);
    for (const std::string& chain : {std::string("platform"), beta.t.id}) {
      const AuditRecord r = s.One(chain, no_reason);
      CHECK(r.action == "tenant.suspend");
      CHECK(r.target == "tenant:" + beta.t.id);  // the slug resolved to the id
      CHECK(r.outcome == AuditOutcome::kFailed);
      CHECK(r.code == "http_400");
    }
    // An unknown tenant: the platform chain only, named as given.
    const Answer unknown = s.Op(V::post, "/v1/tenants/nobody/suspend", R"({"reason":"x"})");
    REQUIRE(unknown.status() == 404);
    const AuditRecord r = s.One("platform", unknown);
    CHECK(r.target == "tenant:nobody");
    CHECK(r.outcome == AuditOutcome::kDenied);
    CHECK(r.code == "http_404");
    CHECK(s.AnyOf(unknown.request_id).size() == 1);
  }
  SECTION("an operator inside a tenant without a reason: denied, on both chains") {
    const Answer a = s.Call(V::patch, "/t/beta/v1/settings", s.op(), R"({"dispatch.radius_m":3000})");
    REQUIRE(a.status() == 403);
    for (const std::string& chain : {std::string("platform"), beta.t.id}) {
      const AuditRecord r = s.One(chain, a);
      CHECK(r.action == "settings.update");
      CHECK(r.outcome == AuditOutcome::kDenied);
      CHECK(r.actor.kind == AuditActorKind::kOperator);
    }
  }
}

TEST_CASE("impersonation is recorded on the tenant's chain and the platform's, reads included",
          "[server][audit_trail]") {
  AuditServer s;
  const Made alpha = OnboardVia(s, "alpha");
  const Headers why{{"X-Impersonation-Reason", "ticket 42"}};
  const std::string op_id = AuditServer::KeyId(s.op());

  const Answer read = s.Call(V::get, "/t/alpha/v1/settings", s.op(), {}, why);
  REQUIRE(read.status() == 200);
  for (const std::string& chain : {std::string("platform"), alpha.t.id}) {
    const AuditRecord r = s.One(chain, read);
    CHECK(r.action == std::string(kImpersonateAction));
    CHECK(r.target == "route:GET /v1/settings");
    CHECK(r.outcome == AuditOutcome::kSuccess);
    CHECK(r.actor.id == op_id);
    CHECK(r.actor.kind == AuditActorKind::kOperator);
    CHECK(DetailsOf(r).at("impersonated").as_bool());
  }
  const Answer write = s.Call(V::patch, "/t/alpha/v1/branding", s.op(), R"({"name":"Fixed"})", why);
  REQUIRE(write.status() == 200);
  for (const std::string& chain : {std::string("platform"), alpha.t.id}) {
    const AuditRecord r = s.One(chain, write);
    CHECK(r.action == "branding.update");
    CHECK(r.actor.kind == AuditActorKind::kOperator);
    CHECK(DetailsOf(r).at("impersonated").as_bool());
  }
}

TEST_CASE("a sign-up and a token refused to a proven key are recorded; nothing else public is",
          "[server][audit_trail]") {
  AuditServer s;
  const Answer signup = s.Call(V::post, "/v1/signup", "",
                               R"({"name":"Self Serve","slug":"self-serve","admin_email":"me@self.example"})");
  REQUIRE(signup.status() == 201);
  const std::string id = Str(signup.json().at("tenant"), "id");
  const std::string client = Str(signup.json().at("admin").at("api_key"), "client_id");
  const std::string key = Str(signup.json().at("admin").at("api_key"), "key");
  for (const std::string& chain : {std::string("platform"), id}) {
    const AuditRecord r = s.One(chain, signup);
    CheckSuccess(r, "tenant.signup", "tenant:" + id);
    CheckActor(r, "signup", AuditActorKind::kSystem);
    CHECK(DetailsOf(r).at("admin_key_id").as_string() == client);
  }
  // The same slug again: refused, and not recorded (anyone can try).
  const Answer taken = s.Call(V::post, "/v1/signup", "",
                              R"({"name":"Again","slug":"self-serve","admin_email":"x@self.example"})");
  REQUIRE(taken.status() == 409);
  CHECK(s.AnyOf(taken.request_id).empty());

  const auto form = [&](const std::string& extra) {
    return s.Call(V::post, "/oauth/token", "",
                  "grant_type=client_credentials&client_id=" + client + "&client_secret=" + key + extra,
                  {}, "application/x-www-form-urlencoded");
  };
  // A key asking for a role it does not hold: denied on its tenant's chain.
  const Answer scope = form("&scope=tenant_admin%20dispatcher");
  REQUIRE(scope.status() == 400);
  const AuditRecord r = s.One(id, scope);
  CHECK(r.action == "token.refuse");
  CHECK(r.target == "api_key:" + client);
  CHECK(r.outcome == AuditOutcome::kDenied);
  CHECK(r.code == "invalid_scope");
  CheckActor(r, client, AuditActorKind::kApiKey);
  CHECK(s.AnyOf(scope.request_id).size() == 1);
  // A platform key at the token endpoint: the platform chain.
  const std::string op_id = AuditServer::KeyId(s.op());
  const Answer platform = s.Call(V::post, "/oauth/token", "",
                                 "grant_type=client_credentials&client_id=" + op_id +
                                     "&client_secret=" + s.op(),
                                 {}, "application/x-www-form-urlencoded");
  REQUIRE(platform.status() == 400);
  const AuditRecord p = s.One("platform", platform);
  CHECK(p.code == "unauthorized_client");
  CheckActor(p, op_id, AuditActorKind::kOperator);
}

TEST_CASE("the request id in an entry is the one the server echoed, also a caller's own",
          "[server][audit_trail]") {
  AuditServer s;
  const Made alpha = OnboardVia(s, "alpha");
  const Answer mine = s.As(alpha.t, V::patch, "/v1/branding", R"({"name":"Mine"})", {},
                           {{"X-Request-Id", "client-chosen.id-1"}});
  REQUIRE(mine.request_id == "client-chosen.id-1");
  CHECK(s.One(alpha.t.id, mine).request_id == "client-chosen.id-1");
  // An insane one is replaced, and the replacement is what is recorded.
  const Answer bad = s.As(alpha.t, V::patch, "/v1/branding", R"({"name":"Bad"})", {},
                          {{"X-Request-Id", "has spaces and ; semicolons"}});
  REQUIRE(bad.request_id != "has spaces and ; semicolons");
  CHECK(s.One(alpha.t.id, bad).request_id == bad.request_id);
}

TEST_CASE("no secret reaches an audit entry or the audit file", "[server][audit_trail]") {
  AuditServer s;
  std::vector<std::string> secrets;
  const Made alpha = OnboardVia(s, "alpha");
  secrets.push_back(alpha.t.key);
  secrets.push_back(s.op());
  // A new key, a webhook whose URL carries the receiver's credential, and
  // its rotated secret.
  const Answer key = s.As(alpha.t, V::post, "/v1/api-keys", R"({"name":"ci","roles":["dispatcher"]})");
  REQUIRE(key.status() == 201);
  secrets.push_back(Str(key.json(), "key"));
  tenancy::testing::WebhookReceiver receiver;
  const std::string url_secret = "hunter2UrlCredential";
  const Answer sub = s.As(alpha.t, V::post, "/v1/webhooks",
                          R"({"url":")" + receiver.Url("/in?token=" + url_secret) +
                              R"(","event_types":["ride.*"]})");
  REQUIRE(sub.status() == 201);
  secrets.push_back(Str(sub.json(), "secret"));
  secrets.push_back(url_secret);
  const std::string sub_id = Str(sub.json(), "id");
  const Answer rotated = s.As(alpha.t, V::post, "/v1/webhooks/" + sub_id + "/rotate-secret");
  REQUIRE(rotated.status() == 200);
  secrets.push_back(Str(rotated.json(), "secret"));
  // An access token, then an admin action made with it.
  const Answer token = s.Call(V::post, "/oauth/token", "",
                              "grant_type=client_credentials&client_id=" + alpha.t.client_id +
                                  "&client_secret=" + alpha.t.key,
                              {}, "application/x-www-form-urlencoded");
  REQUIRE(token.status() == 200);
  const std::string jwt = Str(token.json(), "access_token");
  secrets.push_back(jwt);
  REQUIRE(s.As(alpha.t, V::patch, "/v1/branding", R"({"name":"Via JWT"})", jwt).status() == 200);
  // Careless operators: a key pasted into a path and into a reason.
  const Answer pasted = s.As(alpha.t, V::delete_, "/v1/api-keys/" + Str(key.json(), "key"));
  CHECK(s.One(alpha.t.id, pasted).target == "api_key:[redacted]");
  const Answer reason = s.Op(V::post, "/v1/tenants/alpha/suspend",
                             R"({"reason":"leaked key )" + alpha.t.key +
                                 R"( and Bearer someBearerValue password=hunter3 whsec_abc"})");
  REQUIRE(reason.status() == 200);
  secrets.push_back("hunter3");
  secrets.push_back("someBearerValue");
  secrets.push_back("whsec_abc");
  const std::string scrubbed = Str(json::value(DetailsOf(s.One(alpha.t.id, reason))), "reason");
  CHECK(scrubbed.find("leaked key") == 0);
  CHECK(scrubbed.find("[redacted]") != std::string::npos);
  // A sign-up's key.
  const Answer signup = s.Call(V::post, "/v1/signup", "",
                               R"({"name":"S","slug":"self","admin_email":"me@self.example"})");
  REQUIRE(signup.status() == 201);
  secrets.push_back(Str(signup.json().at("admin").at("api_key"), "key"));

  const auto all = s.All();
  REQUIRE(all.size() >= 9);
  for (const auto& r : all) {
    const std::string text = json::serialize(tenancy::ToJson(r));
    for (const auto& secret : secrets) {
      INFO(text);
      CHECK(text.find(secret) == std::string::npos);
      // Not even the secret part of a key on its own.
      const auto last_dot = secret.rfind('.');
      if (secret.rfind("tk.", 0) == 0) CHECK(text.find(secret.substr(last_dot + 1)) == std::string::npos);
    }
  }
  const std::string bytes = AuditFileBytes(s.audit_db());
  REQUIRE(bytes.size() > 4096);
  for (const auto& secret : secrets) CHECK(bytes.find(secret) == std::string::npos);
}

TEST_CASE("every write route is either audited or data plane, and the table names real routes",
          "[server][audit_trail]") {
  AppWorld w;
  const auto& routes = w.app().router().routes();
  // The data plane (and public reads-only POSTs): not admin actions.
  const std::set<std::string> data_plane = {
      "POST /v1/vehicles", "PATCH /v1/vehicles/{id}", "DELETE /v1/vehicles/{id}",
      "POST /v1/drivers", "PATCH /v1/drivers/{id}", "DELETE /v1/drivers/{id}",
      "PUT /v1/drivers/{id}/availability", "PUT /v1/drivers/{id}/location",
      "POST /v1/quotes", "POST /v1/rides", "POST /v1/rides/{id}/dispatch",
      "POST /v1/rides/{id}/arriving", "POST /v1/rides/{id}/start", "POST /v1/rides/{id}/complete",
      "POST /v1/rides/{id}/cancel", "POST /ofrep/v1/evaluate/flags/{key}",
      "POST /ofrep/v1/evaluate/flags"};
  std::set<std::string> audited;
  for (const AuditedRoute& a : AuditedRoutes()) {
    const std::string name = std::string(http::to_string(a.method)) + " " + std::string(a.pattern);
    INFO(name);
    CHECK(audited.insert(name).second);  // once
    CHECK(tenancy::IsValidAuditAction(a.action));
    CHECK(!a.target.empty());
    const bool exists = std::any_of(routes.begin(), routes.end(), [&](const Route& r) {
      return r.method == a.method && r.pattern == a.pattern;
    });
    CHECK(exists);
    CHECK(!data_plane.contains(name));
  }
  for (const Route& r : routes) {
    if (r.method == http::verb::get || r.method == http::verb::head) continue;
    const std::string name = std::string(http::to_string(r.method)) + " " + r.pattern;
    INFO(name << ": a write route needs a decision: add it to AuditedRoutes or to the data plane");
    CHECK((audited.contains(name) || data_plane.contains(name)));
  }
}

TEST_CASE("target parts and free text keep ids and prose and drop credential shapes",
          "[server][audit_trail]") {
  CHECK(SafeTargetPart("tn_0123456789abcdef") == "tn_0123456789abcdef");
  CHECK(SafeTargetPart("city-cabs") == "city-cabs");
  CHECK(SafeTargetPart("sub_0a1b2c") == "sub_0a1b2c");
  CHECK(SafeTargetPart("") == "[redacted]");
  CHECK(SafeTargetPart("tk.tn_0123456789abcdef.0a1b2c3d4e5f.SeCrEt") == "[redacted]");
  CHECK(SafeTargetPart("eyJhbGciOiJFZERTQSJ9") == "[redacted]");
  CHECK(SafeTargetPart("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == "[redacted]");
  CHECK(SafeTargetPart("Q2FzZVNlbnNpdGl2ZQ") == "[redacted]");  // upper case: not an id
  CHECK(SafeTargetPart(std::string(65, 'a')) == "[redacted]");
  CHECK(SafeTargetPart("a/b") == "[redacted]");

  CHECK(ScrubCredentials("contract ended, see ticket 42") == "contract ended, see ticket 42");
  CHECK(ScrubCredentials("key tk.tn_x.y.z leaked") == "key [redacted] leaked");
  CHECK(ScrubCredentials("Bearer eyJabc.def.ghi") == "Bearer [redacted]");
  CHECK(ScrubCredentials("Authorization: Basic dXNlcjpwYXNz") == "Authorization: Basic [redacted]");
  CHECK(ScrubCredentials("bearer:abc") == "[redacted]");
  CHECK(ScrubCredentials("password=hunter2 api_key:abc ok=1") == "[redacted] [redacted] ok=1");
  CHECK(ScrubCredentials("secret whsec_abc") == "secret [redacted]");
  CHECK(ScrubCredentials("rnd Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA end") == "rnd [redacted] end");
  CHECK(ScrubCredentials("line\nbreak\x1b[31m") == "line break [31m");
  const std::string cut = ScrubCredentials(std::string(600, 'x'));
  CHECK(cut.size() == 500);
  // Never splits a UTF-8 sequence when cutting.
  const std::string umlauts = ScrubCredentials(std::string(499, 'a') + "\xC3\xA4\xC3\xA4", 500);
  CHECK(umlauts == std::string(499, 'a'));
}

}  // namespace
}  // namespace tenancyd::testing
