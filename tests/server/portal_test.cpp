// The admin portal's static handler: the embedded files, their paths and
// types, the headers every page carries (CSP, nosniff, ETag, caching), 304
// on a matching If-None-Match, 404 for unknown files and every traversal
// shape; through the whole pipeline (App::Handle) and over a real socket.
#include "live_server.hpp"
#include "server_fixture.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "portal/portal.hpp"
#include "portal/portal_assets.hpp"

namespace tenancyd::testing {
namespace {

std::string AssetText(std::string_view path) {
  const PortalAsset* a = FindPortalAsset(path);
  REQUIRE(a != nullptr);
  return std::string(a->bytes);
}

void RequirePortalHeaders(const Response& res) {
  CHECK(res["Content-Security-Policy"] == kPortalContentSecurityPolicy);
  CHECK(res["X-Content-Type-Options"] == "nosniff");
  CHECK(res["Referrer-Policy"] == "no-referrer");
  CHECK(res["X-Frame-Options"] == "DENY");
  CHECK(res[http::field::cache_control] == "no-cache");
  CHECK(!res[http::field::etag].empty());
}

TEST_CASE("portal paths: only one or two plain segments name a file", "[server][portal]") {
  for (std::string_view ok : {"index.html", "js/app.js", "css/portal.css", "a", "a-b_c.d/e.f", "A1/B2"}) {
    INFO(ok);
    CHECK(IsSafeAssetPath(ok));
  }
  const std::string long_segment(65, 'a');
  const std::string nul_inside = std::string("js/app") + '\0' + ".js";
  for (std::string_view bad :
       {std::string_view(""), std::string_view(".."), std::string_view("../index.html"),
        std::string_view("js/../index.html"), std::string_view("js/.."), std::string_view("./index.html"),
        std::string_view(".env"), std::string_view("js/.hidden"), std::string_view("/index.html"),
        std::string_view("js/"), std::string_view("js//app.js"), std::string_view("a/b/c"),
        std::string_view("%2e%2e/index.html"), std::string_view("js%2fapp.js"),
        std::string_view("js\\app.js"), std::string_view("..\\..\\etc\\passwd"),
        std::string_view("index.html "), std::string_view("index.html?x"), std::string_view(long_segment),
        std::string_view(nul_inside), std::string_view("caf\xc3\xa9.html")}) {
    INFO("refused: " << bad);
    CHECK_FALSE(IsSafeAssetPath(bad));
    CHECK(FindPortalAsset(bad) == nullptr);
  }
}

TEST_CASE("portal content types follow the extension", "[server][portal]") {
  CHECK(ContentTypeFor("index.html") == "text/html; charset=utf-8");
  CHECK(ContentTypeFor("css/portal.css") == "text/css; charset=utf-8");
  CHECK(ContentTypeFor("js/app.js") == "text/javascript; charset=utf-8");
  CHECK(ContentTypeFor("favicon.svg") == "image/svg+xml");
  CHECK(ContentTypeFor("x.png") == "image/png");
  CHECK(ContentTypeFor("x.json") == "application/json");
  CHECK(ContentTypeFor("x.ico") == "image/x-icon");
  CHECK(ContentTypeFor("x.txt") == "text/plain; charset=utf-8");
  // Unknown or bare extensions are never guessed as something executable.
  CHECK(ContentTypeFor("x.exe") == "application/octet-stream");
  CHECK(ContentTypeFor(".js") == "application/octet-stream");
  CHECK(ContentTypeFor("html") == "application/octet-stream");
  CHECK(ContentTypeFor("x.js.map") == "application/octet-stream");
}

TEST_CASE("the embedded portal: sorted, unique, safe paths, ETags of the content", "[server][portal]") {
  const auto assets = PortalAssets();
  REQUIRE(assets.size() >= 10);
  std::set<std::string_view> etags;
  for (std::size_t i = 0; i < assets.size(); ++i) {
    const PortalAsset& a = assets[i];
    INFO(a.path);
    CHECK(IsSafeAssetPath(a.path));
    CHECK(!a.bytes.empty());
    CHECK(ContentTypeFor(a.path) != "application/octet-stream");
    CHECK(std::regex_match(std::string(a.etag), std::regex(R"re("[0-9a-f]{16}")re")));
    etags.insert(a.etag);
    if (i > 0) CHECK(assets[i - 1].path < a.path);
    CHECK(FindPortalAsset(a.path) == &a);
  }
  // Distinct files have distinct validators (a cache never confuses them).
  CHECK(etags.size() == assets.size());
  for (std::string_view want : {"index.html", "signup.html", "css/portal.css", "js/app.js", "js/api.js",
                                "js/branding.js", "js/tenants.js", "js/signup.js", "js/charts.js"}) {
    INFO(want);
    CHECK(FindPortalAsset(want) != nullptr);
  }
  CHECK(AssetText("index.html").find("<main id=\"main\"") != std::string::npos);
}

TEST_CASE("the pages keep to their own CSP: no inline script or style, every reference embedded",
          "[server][portal]") {
  const std::regex script_tag(R"re(<script\b([^>]*)>)re");
  const std::regex local_ref(R"re((?:src|href)="/admin/([^"]+)")re");
  const std::regex inline_handler(R"re(\son[a-z]+\s*=)re", std::regex::icase);
  const std::regex style_attr(R"re(\sstyle\s*=)re", std::regex::icase);
  const std::regex remote(R"re((?:src|href)="(?:https?:)?//)re");
  for (const PortalAsset& a : PortalAssets()) {
    if (!a.path.ends_with(".html")) continue;
    INFO(a.path);
    const std::string html(a.bytes);
    int scripts = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag); it != std::sregex_iterator(); ++it) {
      ++scripts;
      const std::string attrs = (*it)[1];
      CHECK(attrs.find("src=\"/admin/") != std::string::npos);  // never an inline script
      CHECK(attrs.find("type=\"module\"") != std::string::npos);
    }
    CHECK(scripts == 1);
    CHECK(html.find("<style") == std::string::npos);
    CHECK_FALSE(std::regex_search(html, inline_handler));
    CHECK_FALSE(std::regex_search(html, style_attr));
    CHECK_FALSE(std::regex_search(html, remote));  // nothing from a CDN
    int refs = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), local_ref); it != std::sregex_iterator(); ++it) {
      ++refs;
      INFO("reference " << (*it)[1]);
      CHECK(FindPortalAsset((*it)[1].str()) != nullptr);
    }
    CHECK(refs >= 3);
  }
  // Every module a script imports is embedded, so no page breaks on a 404.
  const std::regex import_from(R"re(from '\./([A-Za-z0-9_-]+\.js)')re");
  int imports = 0;
  for (const PortalAsset& a : PortalAssets()) {
    if (!a.path.ends_with(".js")) continue;
    const std::string js(a.bytes);
    INFO(a.path);
    CHECK(js.find("innerHTML") == std::string::npos);  // values land as text, never markup
    CHECK(js.find("eval(") == std::string::npos);
    for (auto it = std::sregex_iterator(js.begin(), js.end(), import_from); it != std::sregex_iterator(); ++it) {
      ++imports;
      INFO("imports " << (*it)[1]);
      CHECK(FindPortalAsset("js/" + (*it)[1].str()) != nullptr);
    }
  }
  CHECK(imports >= 15);
}

TEST_CASE("GET /admin serves the embedded pages with their types and headers", "[server][portal]") {
  AppWorld world;
  struct Case {
    std::string target;
    std::string file;
    std::string type;
  };
  for (const Case& c : {Case{"/admin", "index.html", "text/html; charset=utf-8"},
                        Case{"/admin/index.html", "index.html", "text/html; charset=utf-8"},
                        Case{"/admin/signup.html", "signup.html", "text/html; charset=utf-8"},
                        Case{"/admin/css/portal.css", "css/portal.css", "text/css; charset=utf-8"},
                        Case{"/admin/js/app.js", "js/app.js", "text/javascript; charset=utf-8"},
                        Case{"/admin/favicon.svg", "favicon.svg", "image/svg+xml"},
                        Case{"/admin/js/api.js?v=2", "js/api.js", "text/javascript; charset=utf-8"}}) {
    INFO(c.target);
    const Response res = world.Call(MakeRequest(http::verb::get, c.target));
    REQUIRE(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == c.type);
    CHECK(res.body() == AssetText(c.file));
    CHECK(res[http::field::etag] == FindPortalAsset(c.file)->etag);
    CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
    RequirePortalHeaders(res);
    CHECK(!res["X-Request-Id"].empty());
  }
}

TEST_CASE("portal pages are public: no credential needed, a bad one or a tenant header changes nothing",
          "[server][portal]") {
  AppWorld world;
  Request with_garbage = WithBearer(MakeRequest(http::verb::get, "/admin/js/app.js"), "tk.nope.nope.nope");
  with_garbage.set("X-Tenant", "no-such-tenant");
  const Response res = world.Call(std::move(with_garbage));
  REQUIRE(res.result() == http::status::ok);
  CHECK(res.body() == AssetText("js/app.js"));
}

TEST_CASE("unknown portal files and traversal attempts answer 404 problems", "[server][portal]") {
  AppWorld world;
  for (std::string target :
       {"/admin/nope.html", "/admin/js/nope.js", "/admin/../app.cpp", "/admin/../../etc/passwd",
        "/admin/js/../../portal/portal.hpp", "/admin/..%2f..%2fetc%2fpasswd", "/admin/%2e%2e/%2e%2e/etc",
        "/admin/js/..%5c..%5capp.cpp", "/admin/.hidden", "/admin/js/.env", "/admin/js/app.js/x",
        "/admin/a/b/c", "/admin/portal.cmake", "/admin/embed_assets.cmake", "/admin/web/index.html",
        "/admin/js%2fapp.js", "/admin/INDEX.HTML"}) {
    INFO(target);
    const Response res = world.Call(MakeRequest(http::verb::get, target));
    RequireProblem(res, http::status::not_found, "not_found");
    CHECK(res.body().find("#include") == std::string::npos);
    CHECK(res.body().find("root:") == std::string::npos);
  }
}

TEST_CASE("portal files are read-only: other methods answer 405 with Allow", "[server][portal]") {
  AppWorld world;
  for (auto method : {http::verb::post, http::verb::put, http::verb::delete_, http::verb::patch}) {
    const Response res = world.Call(MakeRequest(method, "/admin/js/app.js", "{}"));
    INFO(http::to_string(method));
    RequireProblem(res, http::status::method_not_allowed, "method_not_allowed");
    CHECK(res[http::field::allow] == "GET");
  }
}

TEST_CASE("If-None-Match with the file's ETag answers 304 without a body", "[server][portal]") {
  AppWorld world;
  const std::string etag(FindPortalAsset("js/branding.js")->etag);
  const std::string other(FindPortalAsset("js/app.js")->etag);
  for (const std::string& header : {etag, "W/" + etag, other + ", " + etag, "\"zzz\" ,\t" + etag + " ", std::string("*")}) {
    INFO(header);
    Request req = MakeRequest(http::verb::get, "/admin/js/branding.js");
    req.set(http::field::if_none_match, header);
    const Response res = world.Call(std::move(req));
    REQUIRE(res.result() == http::status::not_modified);
    CHECK(res.body().empty());
    CHECK(res[http::field::etag] == etag);
    RequirePortalHeaders(res);
  }
  for (const std::string& header : {other, std::string("\"\""), etag.substr(1), std::string("W/\"0000\"")}) {
    INFO(header);
    Request req = MakeRequest(http::verb::get, "/admin/js/branding.js");
    req.set(http::field::if_none_match, header);
    const Response res = world.Call(std::move(req));
    REQUIRE(res.result() == http::status::ok);
    CHECK(res.body() == AssetText("js/branding.js"));
  }
}

TEST_CASE("portal files over a real socket, fetched by two threads at once", "[server][portal][e2e]") {
  LiveServer live;
  live.Start();
  const std::string index = AssetText("index.html");
  const std::string app = AssetText("js/app.js");
  std::atomic<int> good{0};
  std::atomic<int> bad{0};
  auto fetch_all = [&] {
    TestClient c = live.Connect();
    if (!c.connected()) {
      ++bad;
      return;
    }
    for (int i = 0; i < 20; ++i) {
      // Raw bytes: the client library would not send a dot segment as is.
      c.Write("GET /admin/../app.cpp HTTP/1.1\r\nHost: localhost\r\n\r\n");
      auto traversal = c.Read();
      auto page = c.Roundtrip(MakeRequest(http::verb::get, i % 2 ? "/admin" : "/admin/js/app.js"));
      const bool ok = traversal && traversal->result() == http::status::not_found && page &&
                      page->result() == http::status::ok && page->body() == (i % 2 ? index : app) &&
                      (*page)["Content-Security-Policy"] == kPortalContentSecurityPolicy;
      ++(ok ? good : bad);
    }
  };
  std::thread a(fetch_all), b(fetch_all);
  a.join();
  b.join();
  CHECK(bad.load() == 0);
  CHECK(good.load() == 40);
}

}  // namespace
}  // namespace tenancyd::testing
