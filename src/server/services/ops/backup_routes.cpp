// Per-tenant backup and restore for platform operators (tenancy::Backup).
// Both are audited by the audit trail (middleware/audit_trail.hpp); the
// handlers add what only they know: the tenant, the file's checksum, the
// restored tenant and its source.
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "ids.hpp"
#include "json_input.hpp"
#include "services/control_plane/control_plane.hpp"
#include "services/ops/ops.hpp"
#include "tenancy/directory.hpp"

namespace tenancyd {
namespace fs = std::filesystem;
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::string_view kBackupType = "application/octet-stream";

// Removes the temporary backup file on every way out of the handler.
class TempFile {
 public:
  explicit TempFile(fs::path p) : path_(std::move(p)) {}
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

tenancy::Result<std::shared_ptr<const tenancy::Tenant>> FindTenant(const Ops& o, Exchange& x) {
  const std::string_view name = x.Param("tenant");
  if (auto id = tenancy::TenantId::Parse(name)) return o.directory.Get(*id);
  if (!tenancy::IsValidSlug(name)) return Fail(Errc::kTenantUnknown, "no such tenant");
  return o.directory.GetBySlug(name);
}

// A file Verify refuses is the client's problem (422), with a code saying why.
tenancy::Error FileError(Exchange& x, const tenancy::Error& e) {
  if (e == Errc::kDataCorrupted) return x.Unprocessable("backup_corrupted", e.message);
  if (e == Errc::kInvalidArgument) return x.Unprocessable("not_a_backup", e.message);
  if (e == Errc::kUnimplemented) return x.Unprocessable("backup_version_unsupported", e.message);
  return e;
}

json::object ReportJson(const tenancy::RestoreReport& r) {
  json::array notes;
  for (const auto& n : r.notes) notes.emplace_back(n);
  return json::object{{"tenant", TenantJson(r.tenant)},
                      {"source_id", r.source_id.str()},
                      {"created", r.created},
                      {"rows", r.rows},
                      {"resealed", r.resealed},
                      {"config_restored", r.config_restored},
                      {"notes", std::move(notes)}};
}

}  // namespace

tenancy::Result<Response> BackupTenant(const Ops& o, Exchange& x) {
  auto empty = JsonBody::Parse(x.request, {}, /*allow_empty=*/true);
  if (!empty) return empty.error();
  auto tenant = FindTenant(o, x);
  if (!tenant) return tenant.error();
  x.audit.tenant = (*tenant)->id.str();

  const fs::path dir = fs::path(o.data_dir) / "backups";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(Errc::kStorage, "cannot create the backup directory");
  // Random name: concurrent backups of one tenant never share a file.
  TempFile file(dir / (NewEntityId("tmp_", 0) + ".tnbk.part"));
  tenancy::Result<tenancy::BackupInfo> info = Fail(Errc::kInternal, "backup not written");
  {
    std::ofstream out(file.path(), std::ios::binary | std::ios::trunc);
    if (!out) return Fail(Errc::kStorage, "cannot create a temporary backup file");
    info = o.backup.Write((*tenant)->id, out);
    out.flush();
    if (info && !out) return Fail(Errc::kStorage, "cannot write the temporary backup file");
  }
  if (!info) return info.error();
  if (info->bytes > kMaxBackupResponseBytes)
    return x.Refuse("backup_too_large", Errc::kFailedPrecondition,
                    "the backup is larger than the API answers with (" +
                        std::to_string(kMaxBackupResponseBytes >> 20) +
                        " MiB); use 'tenancyctl backup'");
  std::ifstream in(file.path(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Fail(Errc::kStorage, "cannot read the temporary backup file");
  x.audit.details = json::object{{"checksum", info->checksum}, {"bytes", info->bytes}};
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, kBackupType);
  res.set(http::field::content_disposition,
          "attachment; filename=\"" + (*tenant)->slug + ".tnbk\"");
  res.set(http::field::cache_control, "no-store");
  res.set("Backup-Checksum", info->checksum);
  res.body() = std::move(bytes);
  res.prepare_payload();
  return res;
}

tenancy::Result<Response> RestoreTenant(const Ops& o, Exchange& x) {
  auto params = ParseForm(x.query, {"as", "model", "replace"});
  if (!params) return params.error();
  tenancy::RestoreOptions opts;
  if (auto as = Lookup(*params, "as")) {
    if (!tenancy::IsValidSlug(*as))
      return Fail(Errc::kInvalidArgument, "parameter 'as' is not a valid slug");
    opts.slug = std::string(*as);
  }
  if (auto m = Lookup(*params, "model")) {
    auto model = tenancy::ParseIsolationModel(*m);
    if (!model) return Fail(Errc::kInvalidArgument, "parameter 'model' must be shared, database or dedicated");
    opts.model = *model;
  }
  if (auto r = Lookup(*params, "replace")) {
    if (*r != "true" && *r != "false")
      return Fail(Errc::kInvalidArgument, "parameter 'replace' must be true or false");
    opts.replace_existing = *r == "true";
  }
  if (x.context) opts.author = x.context->principal().id;
  if (x.request.body().empty()) return Fail(Errc::kInvalidArgument, "the body must be a backup file");

  // The whole file is in the request (bounded by the server's body limit);
  // a string stream is seekable, as Restore needs.
  std::istringstream in(x.request.body(), std::ios::binary);
  if (auto verified = tenancy::Backup::Verify(in); !verified) return FileError(x, verified.error());
  in.clear();
  in.seekg(0);
  auto report = o.backup.Restore(in, opts);
  if (!report) {
    const tenancy::Error& e = report.error();
    if (e == Errc::kAlreadyExists) return x.Refuse("slug_taken", Errc::kAlreadyExists, e.message);
    if (e == Errc::kFailedPrecondition)
      return x.Refuse("restore_refused", Errc::kFailedPrecondition, e.message);
    if (e == Errc::kDataCorrupted) return x.Unprocessable("backup_corrupted", e.message);
    return e;
  }
  x.audit.tenant = report->tenant.id.str();
  x.audit.target = "tenant:" + report->tenant.id.str();
  x.audit.details = json::object{{"source_id", report->source_id.str()},
                                 {"created", report->created},
                                 {"model", tenancy::ToString(report->tenant.model)},
                                 {"rows", report->rows}};
  return JsonResponse(report->created ? http::status::created : http::status::ok, ReportJson(*report));
}

}  // namespace tenancyd
