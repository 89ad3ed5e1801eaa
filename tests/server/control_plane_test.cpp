// The control-plane API without sockets: onboarding, strict input, reads,
// lifecycle, key rotation, and the bootstrap operator credential.
#include "server_fixture.hpp"

#include <sys/stat.h>

#include <set>

namespace tenancyd::testing {
namespace {

using S = http::status;

Response As(AppWorld& w, http::verb method, std::string target, std::string body = {},
            std::string content_type = "application/json") {
  return w.Call(WithBearer(MakeRequest(method, std::move(target), std::move(body), std::move(content_type)),
                           w.OperatorKey()));
}

std::size_t LiveTenants(AppWorld& w) { return w.app().platform().directory().live_count(); }

TEST_CASE("onboarding returns the tenant and a working admin credential once", "[server][control]") {
  AppWorld w;
  const Response res = As(w, http::verb::post, "/v1/tenants",
                          R"({"slug":"acme","display_name":"ACME Cabs","tier":"premium",)"
                          R"("admin":{"name":"Ada","email":"ada@acme.example"}})");
  REQUIRE(res.result() == S::created);
  CHECK(res[http::field::cache_control] == "no-store");
  const json::value v = BodyJson(res);
  const json::value& t = v.at("tenant");
  CHECK(Str(t, "slug") == "acme");
  CHECK(Str(t, "display_name") == "ACME Cabs");
  CHECK(Str(t, "tier") == "premium");
  CHECK(Str(t, "model") == "database");  // by tier
  CHECK(Str(t, "state") == "active");
  CHECK(res[http::field::location] == "/v1/tenants/" + Str(t, "id"));
  CHECK_FALSE(t.as_object().contains("placement"));
  const std::string key = Str(v.at("admin").at("api_key"), "key");
  const std::string client_id = Str(v.at("admin").at("api_key"), "client_id");
  CHECK(key.starts_with("tk." + Str(t, "id") + "." + client_id + "."));
  CHECK(v.at("admin").at("roles").as_array().at(0).as_string() == "tenant_admin");

  // The key works as a tenant admin, in this tenant.
  const Response own = w.Call(WithBearer(MakeRequest(http::verb::get, "/v1/tenant"), key));
  REQUIRE(own.result() == S::ok);
  CHECK(Str(BodyJson(own), "slug") == "acme");
  // Only a hash is stored: the secret part is in no file of the data dir.
  const std::string secret = key.substr(key.rfind('.') + 1);
  for (const auto& e : std::filesystem::recursive_directory_iterator(w.data_dir())) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(bytes.find(secret) == std::string::npos);
  }

  // Onboarding the same slug again mints nothing.
  const Response again = As(w, http::verb::post, "/v1/tenants", R"({"slug":"acme","admin":{"name":"Eve"}})");
  RequireProblem(again, S::conflict, "already_exists");
  auto keys = w.app().platform().auth().ListApiKeys(tenancy::TenantId::Parse(Str(t, "id")).value());
  REQUIRE(keys);
  CHECK(keys->size() == 1);
}

TEST_CASE("onboarding input is validated strictly, naming the field", "[server][control]") {
  AppWorld w;
  struct Case {
    std::string body, content_type, fragment;
  };
  const std::string big(300, 'x');
  const std::vector<Case> cases = {
      {R"({"slug":"a1","admin":{"name":"A"},"colour":"red"})", "application/json", "unknown field 'colour'"},
      {R"({"slug":"a1","admin":{"name":"A","phone":"1"}})", "application/json", "unknown field 'admin.phone'"},
      {R"({"slug":7,"admin":{"name":"A"}})", "application/json", "field 'slug' must be a string"},
      {R"({"slug":"a1","admin":"A"})", "application/json", "field 'admin' must be an object"},
      {R"({"slug":"a1"})", "application/json", "field 'admin' is required"},
      {R"({"admin":{"name":"A"}})", "application/json", "field 'slug' is required"},
      {R"({"slug":"Not_A_Label","admin":{"name":"A"}})", "application/json", "field 'slug' must be a DNS label"},
      {R"({"slug":"a1","display_name":")" + big + R"(","admin":{"name":"A"}})", "application/json",
       "field 'display_name' exceeds 200 bytes"},
      {R"({"slug":"a1","tier":"Gold!","admin":{"name":"A"}})", "application/json", "field 'tier'"},
      {R"({"slug":"a1","model":"cloud","admin":{"name":"A"}})", "application/json", "field 'model'"},
      {R"({"slug":"a1","custom_domain":"not a domain","admin":{"name":"A"}})", "application/json",
       "field 'custom_domain'"},
      {R"({"slug":"a1","admin":{}})", "application/json", "needs a name or an email"},
      {R"({"slug":"a1","admin":{"email":"no-at-sign"}})", "application/json", "field 'admin.email'"},
      {R"({"slug":"a1","admin":{"name":null}})", "application/json", "field 'admin.name' must be a string"},
      {R"({"slug":"a1","admin":{"name":"A"})", "application/json", "not valid JSON"},
      {R"(["slug"])", "application/json", "must be a JSON object"},
      {R"({"slug":"a1","admin":{"name":"A"}})", "text/plain", "application/json"},
      {R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}})", "application/json", "not valid JSON"},
      {"", "application/json", "body is required"},
  };
  for (const auto& c : cases) {
    INFO(c.body.substr(0, 120));
    Request req = WithBearer(MakeRequest(http::verb::post, "/v1/tenants", c.body, c.content_type),
                             w.OperatorKey());
    const Response res = w.Call(std::move(req));
    RequireProblem(res, S::bad_request, "invalid_argument");
    CHECK(Str(BodyJson(res), "detail").find(c.fragment) != std::string::npos);
  }
  CHECK(LiveTenants(w) == 0);
  // A unknown tier is the directory's call, still a 400.
  RequireProblem(As(w, http::verb::post, "/v1/tenants", R"({"slug":"a1","tier":"gold","admin":{"name":"A"}})"),
                 S::bad_request, "invalid_argument");
  CHECK(LiveTenants(w) == 0);
}

TEST_CASE("list with filters and a cursor, read by id or slug", "[server][control]") {
  AppWorld w;
  std::set<std::string> ids;
  for (const char* slug : {"t-one", "t-two", "t-three", "t-four", "t-five"})
    ids.insert(w.Onboard(slug).id);
  const Onboarded free = w.Onboard("t-free", R"(,"tier":"free")");

  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    const Response page = As(w, http::verb::get, "/v1/tenants?tier=standard&limit=2" +
                                                     (cursor.empty() ? "" : "&cursor=" + cursor));
    INFO(page.body() << " cursor " << cursor);
    REQUIRE(page.result() == S::ok);
    const json::value v = BodyJson(page);
    CHECK(v.at("items").as_array().size() <= 2);
    for (const auto& item : v.at("items").as_array()) {
      CHECK(Str(item, "tier") == "standard");
      seen.insert(Str(item, "id"));
    }
    cursor = v.at("next_cursor").is_null() ? "" : std::string(v.at("next_cursor").as_string());
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(seen == ids);
  CHECK(pages == 3);

  const Response by_slug = As(w, http::verb::get, "/v1/tenants/t-free");
  REQUIRE(by_slug.result() == S::ok);
  CHECK(Str(BodyJson(by_slug), "id") == free.id);
  CHECK(Str(BodyJson(As(w, http::verb::get, "/v1/tenants/" + free.id)), "slug") == "t-free");
  RequireProblem(As(w, http::verb::get, "/v1/tenants/nobody"), S::not_found, "tenant_unknown");
  RequireProblem(As(w, http::verb::get, "/v1/tenants/%00"), S::not_found, "tenant_unknown");

  RequireProblem(As(w, http::verb::get, "/v1/tenants?colour=red"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::get, "/v1/tenants?limit=0"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::get, "/v1/tenants?limit=1001"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::get, "/v1/tenants?limit=2&limit=3"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::get, "/v1/tenants?state=sleeping"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::get, "/v1/tenants?model=x"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::get, "/v1/tenants?tier=%zz"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::get, "/v1/tenants?cursor=garbage"), S::bad_request, "invalid_argument");
}

TEST_CASE("patch, suspend, quarantine, resume, history", "[server][control]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const std::string base = "/v1/tenants/" + a.id;

  const Response patched = As(w, http::verb::patch, base,
                              R"({"display_name":"Alpha Rides","tier":"free","custom_domain":"rides.alpha.example"})");
  REQUIRE(patched.result() == S::ok);
  CHECK(Str(BodyJson(patched), "display_name") == "Alpha Rides");
  CHECK(Str(BodyJson(patched), "tier") == "free");
  CHECK(Str(BodyJson(patched), "custom_domain") == "rides.alpha.example");
  const Response cleared = As(w, http::verb::patch, base, R"({"custom_domain":null})");
  REQUIRE(cleared.result() == S::ok);
  CHECK(BodyJson(cleared).at("custom_domain").is_null());
  RequireProblem(As(w, http::verb::patch, base, R"({})"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::patch, base, R"({"slug":"renamed"})"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::patch, base, R"({"tier":5})"), S::bad_request, "invalid_argument");

  RequireProblem(As(w, http::verb::post, base + "/suspend", R"({})"), S::bad_request, "invalid_argument");
  RequireProblem(As(w, http::verb::post, base + "/suspend", R"({"reason":""})"), S::bad_request,
                 "invalid_argument");
  RequireProblem(As(w, http::verb::post, base + "/suspend", R"({"reason":")" + std::string(501, 'r') + R"("})"),
                 S::bad_request, "invalid_argument");
  const Response suspended = As(w, http::verb::post, base + "/suspend", R"({"reason":"unpaid invoice"})");
  REQUIRE(suspended.result() == S::ok);
  CHECK(Str(BodyJson(suspended), "state") == "suspended");
  // The tenant's own credential is refused while suspended.
  RequireProblem(w.Call(WithBearer(MakeRequest(http::verb::get, "/v1/ping"), a.key)), S::forbidden,
                 "tenant_suspended");
  // suspended → quarantined is not a legal move.
  RequireProblem(As(w, http::verb::post, base + "/quarantine", R"({"reason":"x"})"), S::conflict,
                 "failed_precondition");
  REQUIRE(As(w, http::verb::post, base + "/resume", R"({"reason":"paid"})").result() == S::ok);
  REQUIRE(As(w, http::verb::post, base + "/quarantine", R"({"reason":"noisy neighbour"})").result() == S::ok);
  REQUIRE(As(w, http::verb::post, base + "/resume", R"({"reason":"calm"})").result() == S::ok);

  const Response history = As(w, http::verb::get, base + "/history");
  REQUIRE(history.result() == S::ok);
  const json::value history_json = BodyJson(history);
  const auto& items = history_json.at("items").as_array();
  std::vector<std::string> reasons;
  for (const auto& i : items) reasons.push_back(Str(i, "reason"));
  REQUIRE(reasons.size() == 5);  // provisioned + four changes
  CHECK(reasons[1] == "unpaid invoice");
  // Quarantine and its release go through the quarantine policy, which
  // marks the operator's reason as manual.
  CHECK(reasons[3] == "quarantined by operator: noisy neighbour");
  CHECK(reasons[4] == "quarantine released by operator: calm");
  CHECK(Str(items[1], "from") == "active");
  CHECK(Str(items[1], "to") == "suspended");
}

TEST_CASE("rotate the data key, then offboard (DELETE with a reason)", "[server][control]") {
  AppWorld w;
  const Onboarded a = w.Onboard("alpha");
  const std::string base = "/v1/tenants/" + a.id;
  const Response rotated = As(w, http::verb::post, base + "/rotate-key");
  REQUIRE(rotated.result() == S::ok);
  CHECK(BodyJson(rotated).at("primary_version").as_int64() == 2);
  const Response keys = As(w, http::verb::get, base + "/keys");
  REQUIRE(keys.result() == S::ok);
  const json::value keys_json = BodyJson(keys);
  const auto& items = keys_json.at("items").as_array();
  REQUIRE(items.size() == 2);
  CHECK(keys.body().find("\"key\"") == std::string::npos);  // versions, never bytes
  RequireProblem(As(w, http::verb::post, base + "/rotate-key", R"({"force":true})"), S::bad_request,
                 "invalid_argument");

  RequireProblem(As(w, http::verb::delete_, base), S::bad_request, "invalid_argument");
  const Response gone = As(w, http::verb::delete_, base + "?reason=contract%20ended");
  REQUIRE(gone.result() == S::ok);
  CHECK(Str(BodyJson(gone), "state") == "deleted");
  // Crypto-shredded: no data key version is left.
  auto left = w.app().platform().keyring().List(tenancy::TenantId::Parse(a.id).value());
  CHECK((!left || left->empty()));
  // The tombstone is readable by id; changes are refused; the slug is free.
  CHECK(Str(BodyJson(As(w, http::verb::get, base)), "state") == "deleted");
  RequireProblem(As(w, http::verb::post, base + "/offboard", R"({"reason":"again"})"), S::not_found,
                 "tenant_unknown");
  RequireProblem(As(w, http::verb::post, base + "/rotate-key"), S::not_found, "tenant_unknown");
  RequireProblem(w.Call(WithBearer(MakeRequest(http::verb::get, "/v1/ping"), a.key)), S::unauthorized,
                 "unauthenticated");
  CHECK(w.Onboard("alpha").id != a.id);
}

TEST_CASE("the bootstrap operator key is written once, 0600, and works", "[server][control]") {
  AppWorld w;
  REQUIRE(w.app().bootstrap().created);
  struct stat st {};
  REQUIRE(::stat(w.bootstrap_file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string key = w.OperatorKey();
  CHECK(key.starts_with("tk.platform."));
  CHECK(As(w, http::verb::get, "/v1/tenants").result() == S::ok);

  // A restart leaves the file alone (same bytes, same inode) and mints nothing.
  const auto inode = st.st_ino;
  w.Reopen();
  CHECK_FALSE(w.app().bootstrap().created);
  REQUIRE(::stat(w.bootstrap_file().c_str(), &st) == 0);
  CHECK(st.st_ino == inode);
  CHECK(w.OperatorKey() == key);
  auto platform_keys = w.app().platform().auth().ListApiKeys(tenancy::TenantId{});
  REQUIRE(platform_keys);
  CHECK(platform_keys->size() == 1);

  // Removed by an operator who stored the key elsewhere: it stays removed.
  std::filesystem::remove(w.bootstrap_file());
  w.Reopen();
  CHECK_FALSE(w.app().bootstrap().created);
  CHECK_FALSE(std::filesystem::exists(w.bootstrap_file()));
  CHECK(w.app().platform().auth().ListApiKeys(tenancy::TenantId{})->size() == 1);
}

TEST_CASE("a bootstrap file that cannot be written leaves no live key behind", "[server][control]") {
  tenancy::testing::TempDir dir;
  PlatformOptions p;
  p.data_dir = (dir.path() / "data").string();
  AppOptions o;
  o.bootstrap_key_file = (dir.path() / "missing-dir" / "op.key").string();
  auto app = App::Open(p, o);
  REQUIRE_FALSE(app);
  CHECK(app.error().code == tenancy::Errc::kStorage);
  // Next start with a writable path creates a fresh key; the failed one is revoked.
  o.bootstrap_key_file = (dir.path() / "op.key").string();
  auto second = App::Open(p, o);
  REQUIRE(second);
  CHECK((*second)->bootstrap().created);
  auto keys = (*second)->platform().auth().ListApiKeys(tenancy::TenantId{});
  REQUIRE(keys);
  int live = 0;
  for (const auto& k : *keys) live += k.revoked_at ? 0 : 1;
  CHECK(keys->size() == 2);
  CHECK(live == 1);
}

}  // namespace
}  // namespace tenancyd::testing
