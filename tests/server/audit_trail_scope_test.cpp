// Who reads which chain, over real sockets: a tenant admin reads, verifies
// and exports its own tenant's chain and nothing else, however it names
// another (ids, slugs, headers, query parameters, cursors); operators read
// every chain; the answers validate against the OpenAPI document.
#include "audit_trail_fixture.hpp"

#include <set>
#include <sstream>

#include "contracts_fixture.hpp"

namespace tenancyd::testing {
namespace {

using S = http::status;
using V = http::verb;

struct Story {
  Onboarded a, b;
};

// Two tenants with a few admin actions each, and an operator action on b.
Story TwoTenants(AuditServer& s) {
  Story st;
  st.a = s.world().Onboard("alpha");
  st.b = s.world().Onboard("beta");
  for (int i = 0; i < 3; ++i) {
    REQUIRE(s.As(st.a, V::patch, "/v1/branding", R"({"name":"A)" + std::to_string(i) + R"("})").status() == 200);
    REQUIRE(s.As(st.b, V::patch, "/v1/branding", R"({"name":"B)" + std::to_string(i) + R"("})").status() == 200);
  }
  REQUIRE(s.Op(V::post, "/v1/tenants/beta/rotate-key").status() == 200);
  return st;
}

std::set<std::string> ChainsIn(const json::value& page) {
  std::set<std::string> out;
  for (const auto& e : page.at("items").as_array()) out.emplace(e.at("chain").as_string());
  return out;
}

// Runs the contracts suite's validator (python3-jsonschema) over `recorded`.
CommandResult ValidateAgainstDocument(const tenancy::testing::TempDir& dir,
                                      const std::vector<Recorded>& recorded) {
  const auto file = dir.path() / "recorded.json";
  WriteFile(file, RecordedJson(recorded));
  return RunCommand(std::string("python3 ") + TENANCYD_VALIDATE_SCRIPT + " " + TENANCYD_OPENAPI_FILE +
                    " " + file.string());
}

// The chains named by an export's lines.
std::set<std::string> ChainsInExport(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const json::value v = json::parse(line);
    out.emplace(v.at("chain").as_string());
  }
  return out;
}

TEST_CASE("a tenant admin reads, verifies and exports its own chain only", "[server][audit_trail]") {
  AuditServer s;
  const Story st = TwoTenants(s);
  const std::size_t a_entries = s.Chain(st.a.id).size();
  REQUIRE(a_entries == 4);  // onboard + 3 branding

  // Its own chain, whole, in order.
  const Answer page = s.As(st.a, V::get, "/v1/audit");
  REQUIRE(page.status() == 200);
  const json::value v = page.json();
  CHECK(ChainsIn(v) == std::set<std::string>{st.a.id});
  CHECK(v.at("items").as_array().size() == a_entries);
  CHECK(Str(v, "next_cursor").empty());
  std::int64_t seq = 0;
  for (const auto& e : v.at("items").as_array()) CHECK(e.at("seq").as_int64() == ++seq);

  // Paging and filters stay inside it.
  const json::value first = s.As(st.a, V::get, "/v1/audit?limit=2").json();
  CHECK(first.at("items").as_array().size() == 2);
  const std::string cursor = Str(first, "next_cursor");
  REQUIRE(!cursor.empty());
  const json::value rest = s.As(st.a, V::get, "/v1/audit?limit=10&after=" + cursor).json();
  CHECK(rest.at("items").as_array().size() == a_entries - 2);
  const json::value branding = s.As(st.a, V::get, "/v1/audit?action=branding.*").json();
  CHECK(branding.at("items").as_array().size() == 3);
  CHECK(s.As(st.a, V::get, "/v1/audit?outcome=denied").json().at("items").as_array().empty());

  // Every way of naming beta's chain fails, and says nothing of it.
  const json::value b_page = s.As(st.b, V::get, "/v1/audit?limit=1").json();
  const std::string b_cursor = Str(b_page, "next_cursor");
  REQUIRE(!b_cursor.empty());
  CHECK(s.As(st.a, V::get, "/v1/audit?chain=" + st.b.id).status() == 400);
  CHECK(s.As(st.a, V::get, "/v1/audit?chain=platform").status() == 400);
  CHECK(s.As(st.a, V::get, "/v1/audit?tenant=beta").status() == 400);
  const Answer foreign_cursor = s.As(st.a, V::get, "/v1/audit?after=" + b_cursor);
  CHECK(foreign_cursor.status() == 400);
  CHECK(foreign_cursor.res.body().find(st.b.id) == std::string::npos);
  for (const std::string& path : {std::string("/v1/audit"), std::string("/v1/audit/verify"),
                                 std::string("/v1/audit/export")}) {
    INFO(path);
    CHECK(s.Call(V::get, "/t/beta" + path, st.a.key).status() == 404);
    CHECK(s.Call(V::get, "/t/" + st.b.id + path, st.a.key).status() == 404);
    CHECK(s.Call(V::get, path, st.a.key, {}, {{"X-Tenant", "beta"}}).status() == 404);
    CHECK(s.Call(V::get, "/v1/platform/audit" + path.substr(9), st.a.key).status() == 403);
    CHECK(s.Call(V::get, "/v1/platform/audit" + path.substr(9) + "?chain=" + st.b.id, st.a.key).status() ==
          403);
  }
  CHECK(s.As(st.a, V::get, "/v1/audit/verify?chain=" + st.b.id).status() == 400);
  CHECK(s.As(st.a, V::get, "/v1/audit/export?chain=" + st.b.id).status() == 400);

  // Verify and export: its chain only.
  const json::value verified = s.As(st.a, V::get, "/v1/audit/verify").json();
  CHECK(verified.at("ok").as_bool());
  CHECK(Str(verified, "chain") == st.a.id);
  CHECK(verified.at("entries").as_int64() == static_cast<std::int64_t>(a_entries));
  const Answer exported = s.As(st.a, V::get, "/v1/audit/export");
  REQUIRE(exported.status() == 200);
  CHECK(exported.res[http::field::content_type] == "application/x-ndjson");
  CHECK(exported.res[http::field::cache_control] == "no-store");
  CHECK(ChainsInExport(exported.res.body()) == std::set<std::string>{st.a.id});
  CHECK(exported.res.body().find(st.b.id) == std::string::npos);
  std::istringstream in(exported.res.body());
  auto offline = tenancy::VerifyExport(in);
  REQUIRE(offline);
  CHECK(offline->ok);
  CHECK(offline->entries == static_cast<std::int64_t>(a_entries));

  // Without audit.read (a dispatcher): refused.
  const std::string dispatcher = KeyWithRoles(s.world(), st.a, {"dispatcher"});
  CHECK(s.As(st.a, V::get, "/v1/audit", {}, dispatcher).status() == 403);
  CHECK(s.As(st.a, V::get, "/v1/audit/export", {}, dispatcher).status() == 403);
}

TEST_CASE("an operator reads, verifies and exports every chain", "[server][audit_trail]") {
  AuditServer s;
  const Story st = TwoTenants(s);
  const std::set<std::string> all{"platform", st.a.id, st.b.id};

  const json::value everything = s.Op(V::get, "/v1/platform/audit?limit=1000").json();
  CHECK(ChainsIn(everything) == all);
  CHECK(everything.at("items").as_array().size() == s.All().size());
  for (const std::string& chain : {std::string("platform"), st.a.id, st.b.id, std::string("beta")}) {
    INFO(chain);
    const json::value one = s.Op(V::get, "/v1/platform/audit?chain=" + chain).json();
    REQUIRE(one.at("items").as_array().size() >= 1);
    const std::string want = chain == "beta" ? st.b.id : chain;
    CHECK(ChainsIn(one) == std::set<std::string>{want});
    const json::value verified = s.Op(V::get, "/v1/platform/audit/verify?chain=" + chain).json();
    CHECK(verified.at("ok").as_bool());
    CHECK(Str(verified, "chain") == want);
  }
  // The operator's rotate-key on beta: on beta's chain and the platform's.
  const json::value rotations = s.Op(V::get, "/v1/platform/audit?action=tenant.rotate_key").json();
  CHECK(ChainsIn(rotations) == std::set<std::string>{"platform", st.b.id});

  const Answer exported = s.Op(V::get, "/v1/platform/audit/export");
  REQUIRE(exported.status() == 200);
  CHECK(ChainsInExport(exported.res.body()) == all);
  std::istringstream in(exported.res.body());
  auto offline = tenancy::VerifyExport(in);
  REQUIRE(offline);
  CHECK(offline->ok);
  CHECK(offline->entries == static_cast<std::int64_t>(s.All().size()));
  CHECK(ChainsInExport(s.Op(V::get, "/v1/platform/audit/export?chain=alpha").res.body()) ==
        std::set<std::string>{st.a.id});

  // Bad input is typed.
  CHECK(s.Op(V::get, "/v1/platform/audit/verify").status() == 400);           // chain required
  CHECK(s.Op(V::get, "/v1/platform/audit/verify?chain=nobody").status() == 404);
  CHECK(s.Op(V::get, "/v1/platform/audit?chain=Not%20A%20Chain").status() == 400);
  CHECK(s.Op(V::get, "/v1/platform/audit?limit=0").status() == 400);
  CHECK(s.Op(V::get, "/v1/platform/audit?limit=1001").status() == 400);
  CHECK(s.Op(V::get, "/v1/platform/audit?outcome=maybe").status() == 400);
  CHECK(s.Op(V::get, "/v1/platform/audit?after=garbage").status() == 400);
  // Support staff (support_readonly: platform.tenants.read and audit.read)
  // may read too.
  auto support = s.platform().auth().CreateApiKey({}, "support", {"support_readonly"});
  REQUIRE(support);
  CHECK(s.Call(V::get, "/v1/platform/audit", support->key).status() == 200);
}

TEST_CASE("an operator impersonating a tenant reads that tenant's chain like its admin",
          "[server][audit_trail]") {
  AuditServer s;
  const Story st = TwoTenants(s);
  const Headers why{{"X-Impersonation-Reason", "ticket 7"}};
  const Answer page = s.Call(V::get, "/t/alpha/v1/audit?limit=1000", s.op(), {}, why);
  REQUIRE(page.status() == 200);
  CHECK(ChainsIn(page.json()) == std::set<std::string>{st.a.id});
  const Answer exported = s.Call(V::get, "/t/alpha/v1/audit/export", s.op(), {}, why);
  REQUIRE(exported.status() == 200);
  CHECK(ChainsInExport(exported.res.body()) == std::set<std::string>{st.a.id});
}

TEST_CASE("the audit routes' answers validate against the OpenAPI document", "[server][audit_trail][contracts]") {
  LiveServer s;
  s.Start();
  RecordingClient c(s);
  const std::string op = s.world().OperatorKey();
  const json::value onboarded = c.Ok(V::post, "/v1/tenants", R"({"slug":"acme","admin":{"email":"a@acme.example"}})",
                                     op, S::created);
  const std::string key(onboarded.at("admin").at("api_key").at("key").as_string());
  const std::string id(onboarded.at("tenant").at("id").as_string());
  c.Ok(V::patch, "/t/acme/v1/branding", R"({"name":"Acme"})", key);
  c.Ok(V::patch, "/t/acme/v1/settings", R"({"dispatch.radius_m":5})", key, S::unprocessable_entity);
  c.Ok(V::get, "/t/acme/v1/audit", "", key);
  c.Ok(V::get, "/t/acme/v1/audit?limit=1&action=tenant.*&outcome=success", "", key);
  c.Ok(V::get, "/t/acme/v1/audit?limit=x", "", key, S::bad_request);
  c.Ok(V::get, "/t/acme/v1/audit/verify", "", key);
  c.Call(V::get, "/t/acme/v1/audit/export", "", key);
  c.Ok(V::get, "/t/acme/v1/audit", "", "", S::unauthorized);
  c.Ok(V::get, "/v1/platform/audit", "", op);
  c.Ok(V::get, "/v1/platform/audit?chain=" + id + "&limit=2", "", op);
  c.Ok(V::get, "/v1/platform/audit?chain=nobody", "", op, S::not_found);
  c.Ok(V::get, "/v1/platform/audit/verify?chain=platform", "", op);
  c.Ok(V::get, "/v1/platform/audit/verify", "", op, S::bad_request);
  c.Call(V::get, "/v1/platform/audit/export", "", op);
  c.Call(V::get, "/v1/platform/audit/export?chain=acme", "", op);
  c.Ok(V::get, "/v1/platform/audit", "", key, S::forbidden);
  std::size_t audit_routes = 0;
  for (const auto& r : c.recorded()) audit_routes += r.route.find("/audit") != std::string::npos;
  REQUIRE(audit_routes >= 14);
  tenancy::testing::TempDir dir;
  const CommandResult result = ValidateAgainstDocument(dir, c.recorded());
  INFO(result.output);
  CHECK(result.exit_code == 0);
}

}  // namespace
}  // namespace tenancyd::testing
