// The configuration version table. Scopes are stored as (layer, name):
// ("platform", ""), ("tier", "<tier>"), ("tenant", "<tenant id>"); the
// primary key (layer, name, version) makes a lost race between two writers
// (threads or processes) a constraint violation, reported as kConflict.
#include <boost/json/parse.hpp>

#include "governance/config_db.hpp"

namespace tenancy::detail::config {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tenancy_config_versions (
  layer TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  author TEXT NOT NULL,
  at INTEGER NOT NULL,
  patch TEXT NOT NULL,
  document TEXT NOT NULL,
  rollback_of INTEGER,
  tier TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (layer, name, version)
);
)sql";

constexpr const char* kColumns =
    "layer, name, version, author, at, patch, document, rollback_of, tier";

std::string_view LayerText(ConfigLayer layer) noexcept { return ToString(layer); }

struct Rows final : RowSink {
  std::vector<VersionRow> items;
  bool corrupt = false;
  bool OnRow(const RowView& r) override {
    VersionRow row;
    const std::string_view layer = r.Text(0);
    if (layer == "platform") {
      row.scope.layer = ConfigLayer::kPlatform;
    } else if (layer == "tier") {
      row.scope.layer = ConfigLayer::kTier;
    } else if (layer == "tenant") {
      row.scope.layer = ConfigLayer::kTenant;
    } else {
      corrupt = true;
      return false;
    }
    row.scope.name = r.Text(1);
    row.version = r.Int(2);
    row.author = r.Text(3);
    row.at_ms = r.Int(4);
    row.patch = r.Text(5);
    row.document = r.Text(6);
    if (!r.IsNull(7)) row.rollback_of = r.Int(7);
    row.tier = r.Text(8);
    items.push_back(std::move(row));
    return true;
  }
};

Result<boost::json::object> ParseObject(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object())
    return Fail(Errc::kDataCorrupted, "a stored configuration version is not a JSON object");
  return std::move(v.get_object());
}

}  // namespace

Result<std::unique_ptr<ConfigDb>> ConfigDb::Open(const std::string& path) {
  if (path.empty()) return Fail(Errc::kInvalidArgument, "ConfigOptions::path is empty");
  auto conn = sqlite::SqliteConnection::Open(path, /*create=*/true, sqlite::ConnectionOptions{});
  if (!conn) return conn.error();
  if (auto r = (*conn)->ExecScript(kSchema); !r) return r.error();
  return std::unique_ptr<ConfigDb>(new ConfigDb(std::move(*conn)));
}

Result<std::vector<VersionRow>> ConfigDb::LoadLatest() {
  Rows rows;
  auto r = conn_->Run(std::string("SELECT ") + kColumns +
                          " FROM tenancy_config_versions v WHERE version = (SELECT MAX(version) FROM "
                          "tenancy_config_versions w WHERE w.layer = v.layer AND w.name = v.name)",
                      {}, &rows);
  if (!r) return r.error();
  if (rows.corrupt) return Fail(Errc::kDataCorrupted, "a stored configuration version has an unknown layer");
  return std::move(rows.items);
}

Result<std::optional<VersionRow>> ConfigDb::Latest(const ConfigScope& scope) {
  Rows rows;
  const Param p[] = {LayerText(scope.layer), std::string_view(scope.name)};
  auto r = conn_->Run(std::string("SELECT ") + kColumns +
                          " FROM tenancy_config_versions WHERE layer = ? AND name = ? "
                          "ORDER BY version DESC LIMIT 1",
                      p, &rows);
  if (!r) return r.error();
  if (rows.items.empty()) return std::optional<VersionRow>();
  return std::optional<VersionRow>(std::move(rows.items.front()));
}

Result<std::optional<VersionRow>> ConfigDb::Get(const ConfigScope& scope, std::int64_t version) {
  Rows rows;
  const Param p[] = {LayerText(scope.layer), std::string_view(scope.name), version};
  auto r = conn_->Run(std::string("SELECT ") + kColumns +
                          " FROM tenancy_config_versions WHERE layer = ? AND name = ? AND version = ?",
                      p, &rows);
  if (!r) return r.error();
  if (rows.items.empty()) return std::optional<VersionRow>();
  return std::optional<VersionRow>(std::move(rows.items.front()));
}

Result<std::vector<VersionRow>> ConfigDb::History(const ConfigScope& scope) {
  Rows rows;
  const Param p[] = {LayerText(scope.layer), std::string_view(scope.name)};
  auto r = conn_->Run(std::string("SELECT ") + kColumns +
                          " FROM tenancy_config_versions WHERE layer = ? AND name = ? ORDER BY version",
                      p, &rows);
  if (!r) return r.error();
  return std::move(rows.items);
}

Result<void> ConfigDb::Insert(const VersionRow& row) {
  const Param p[] = {LayerText(row.scope.layer),
                     std::string_view(row.scope.name),
                     row.version,
                     std::string_view(row.author),
                     row.at_ms,
                     std::string_view(row.patch),
                     std::string_view(row.document),
                     row.rollback_of ? Param(*row.rollback_of) : Param(),
                     std::string_view(row.tier)};
  auto r = conn_->Run(std::string("INSERT INTO tenancy_config_versions (") + kColumns +
                          ") VALUES (?,?,?,?,?,?,?,?,?)",
                      p, nullptr);
  if (!r) {
    if (r.error().code == Errc::kAlreadyExists || r.error().code == Errc::kConflict)
      return Fail(Errc::kConflict, "the configuration changed concurrently");
    return r.error();
  }
  return {};
}

Result<ConfigVersion> ToVersion(const VersionRow& row) {
  ConfigVersion v;
  v.scope = row.scope;
  v.version = row.version;
  v.author = row.author;
  v.at = FromUnixMillis(row.at_ms);
  auto patch = ParseObject(row.patch);
  if (!patch) return patch.error();
  auto document = ParseObject(row.document);
  if (!document) return document.error();
  v.patch = std::move(*patch);
  v.document = std::move(*document);
  v.rollback_of = row.rollback_of;
  return v;
}

}  // namespace tenancy::detail::config
