// Per-tenant backup and restore: round trips in every model and across
// models, disaster recovery into a fresh instance, refusal of damaged files
// with nothing restored, slugs, crypto-shredding, configuration, and
// consistency under concurrent writers.
#include "ops/backup_world.hpp"

#include <atomic>
#include <thread>

namespace tenancy::testing {
namespace {

constexpr IsolationModel kModels[] = {IsolationModel::kShared, IsolationModel::kDatabase,
                                      IsolationModel::kDedicated};

std::string Name(IsolationModel m) { return std::string(ToString(m)); }

// Everything every test checks after a failed restore: the directory has
// the same tenants as before, and the slug is not taken.
void RequireNothingRestored(World& w, std::size_t live_before, const std::string& slug) {
  CHECK(w.directory().live_count() == live_before);
  auto gone = w.directory().GetBySlug(slug);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == Errc::kTenantUnknown);
}

}  // namespace

TEST_CASE("a restored tenant holds every row and column of the backup, in every pair of models",
          "[backup][sqlite]") {
  const auto from = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  const auto to = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  CAPTURE(Name(from), Name(to));
  World w;
  const Tenant source = w.Provision("source", from);
  const Tenant other = w.Provision("bystander", from);
  w.Fill(source.id, 40, "s");
  w.Fill(other.id, 25, "o");
  const std::string other_before = w.Digest(other.id);
  const auto items_before = w.AllItems(source.id);
  const auto pairs_before = w.AllPairs(source.id);
  REQUIRE(items_before.size() == 40);

  BackupInfo written;
  const std::string file = BackupToString(w, source.id, &written);
  CHECK(written.rows == 80);
  CHECK(written.tenant.id == source.id);
  CHECK(written.key_versions == 1);
  CHECK(written.bytes == file.size());
  // Encrypted columns travel as ciphertext.
  CHECK(file.find("secret of s #7") == std::string::npos);
  CHECK(file.find("Grüße aus 東京") != std::string::npos);  // plain columns do travel

  auto restored = RestoreFromString(w, file, {.slug = "copy", .model = to});
  REQUIRE(restored);
  CHECK(restored->created);
  CHECK(restored->rows == 80);
  CHECK(restored->resealed == 40 + 26 + 40);  // secrets, non-null notes, pairs
  CHECK(restored->tenant.model == to);
  CHECK(restored->tenant.state == TenantState::kActive);
  CHECK(restored->tenant.id != source.id);
  CHECK(restored->source_id == source.id);

  const auto items_after = w.AllItems(restored->tenant.id);
  REQUIRE(items_after.size() == items_before.size());
  for (std::size_t i = 0; i < items_before.size(); ++i) {
    CAPTURE(items_before[i].id);
    CHECK(items_after[i] == items_before[i]);
  }
  CHECK(w.AllPairs(restored->tenant.id) == pairs_before);
  // Integer and real extremes survive bit for bit.
  REQUIRE(items_after[1].n);
  CHECK(*items_after[1].n == std::numeric_limits<std::int64_t>::min());
  REQUIRE(items_after[4].r);
  CHECK(*items_after[4].r == std::numeric_limits<double>::denorm_min());
  // Source and bystander untouched.
  CHECK(w.AllItems(source.id) == items_before);
  CHECK(w.Digest(other.id) == other_before);
}

TEST_CASE("a backup restores into a fresh instance with the same master key (disaster recovery)",
          "[backup][sqlite]") {
  const auto model = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  CAPTURE(Name(model));
  World a;
  const Tenant acme = a.Provision("acme", model);
  a.Fill(acme.id, 30, "a");
  REQUIRE(a.config().SetTenant(acme, {{"time_zone", "Europe/Berlin"}}, "ops"));
  const std::string file = BackupToString(a, acme.id);

  World b(a.key_file());  // a new data directory and control plane, same master key
  auto restored = RestoreFromString(b, file, {});
  REQUIRE(restored);
  CHECK(restored->tenant.slug == "acme");
  CHECK(restored->tenant.model == model);
  CHECK(restored->config_restored);
  CHECK(b.config().Snapshot(restored->tenant)->time_zone() == "Europe/Berlin");
  CHECK(b.AllItems(restored->tenant.id) == a.AllItems(acme.id));
  CHECK(b.AllPairs(restored->tenant.id) == a.AllPairs(acme.id));
}

TEST_CASE("without the master key the backup's keys are wrapped under, nothing is restored",
          "[backup][sqlite]") {
  World a;
  const Tenant acme = a.Provision("acme", IsolationModel::kDatabase);
  a.Fill(acme.id, 6, "a");
  const std::string file = BackupToString(a, acme.id);
  World stranger;  // its own, different master key
  const std::size_t live = stranger.directory().live_count();
  auto r = RestoreFromString(stranger, file, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kFailedPrecondition);
  CHECK_THAT(r.error().message, Catch::Contains("does not unwrap"));
  RequireNothingRestored(stranger, live, "acme");
}

TEST_CASE("a damaged backup is refused with a typed error and nothing is restored",
          "[backup][sqlite]") {
  World w;
  const Tenant acme = w.Provision("acme", IsolationModel::kShared);
  w.Fill(acme.id, 30, "a");
  const std::string file = BackupToString(w, acme.id);
  const std::string other_before = w.Digest(acme.id);
  const std::size_t live = w.directory().live_count();

  SECTION("truncated at any of several offsets") {
    for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{8}, std::size_t{15},
                            std::size_t{16}, std::size_t{40}, file.size() / 3, file.size() / 2,
                            file.size() - 38, file.size() - 37, file.size() - 1}) {
      CAPTURE(cut);
      auto r = RestoreFromString(w, file.substr(0, cut), {.slug = "copy"});
      REQUIRE_FALSE(r);
      // An empty file is simply not a backup; any other cut is damage.
      CHECK(r.error().code == (cut == 0 ? Errc::kInvalidArgument : Errc::kDataCorrupted));
      std::istringstream in(file.substr(0, cut));
      CHECK_FALSE(Backup::Verify(in));
    }
    RequireNothingRestored(w, live, "copy");
  }
  SECTION("one flipped byte anywhere") {
    // Every byte of a small tenant's file; a spread of bytes of the large one.
    const Tenant small = w.Provision("small", IsolationModel::kDatabase);
    w.Fill(small.id, 3, "m");
    const std::string little = BackupToString(w, small.id);
    auto flip_all = [](const std::string& bytes, std::size_t stride) {
      std::size_t refused = 0;
      for (std::size_t at = 0; at < bytes.size(); at += stride) {
        std::string bad = bytes;
        bad[at] = static_cast<char>(bad[at] ^ 0x20);
        std::istringstream in(bad);
        auto v = Backup::Verify(in);
        CAPTURE(at);
        REQUIRE_FALSE(v);
        CHECK((v.error().code == Errc::kDataCorrupted || v.error().code == Errc::kInvalidArgument ||
               v.error().code == Errc::kUnimplemented));
        ++refused;
      }
      return refused;
    };
    CHECK(flip_all(little, 1) == little.size());
    CHECK(flip_all(file, file.size() / 97) >= 97);
    for (std::size_t at : {std::size_t{20}, file.size() / 2, file.size() - 1}) {
      std::string bad = file;
      bad[at] = static_cast<char>(bad[at] ^ 0x01);
      auto r = RestoreFromString(w, bad, {.slug = "copy"});
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kDataCorrupted);
    }
    RequireNothingRestored(w, live + 1, "copy");  // + small
  }
  SECTION("wrong magic") {
    std::string bad = file;
    bad[1] = 'X';
    auto r = RestoreFromString(w, bad, {.slug = "copy"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
    CHECK_THAT(r.error().message, Catch::Contains("not a tenancy backup"));
    auto text = RestoreFromString(w, "{\"tenant\": \"acme\"}", {.slug = "copy"});
    REQUIRE_FALSE(text);
    CHECK(text.error().code == Errc::kInvalidArgument);
    RequireNothingRestored(w, live, "copy");
  }
  SECTION("a future format version") {
    std::string bad = file;
    bad[8] = 2;  // version, little-endian u32 after the magic
    auto r = RestoreFromString(w, bad, {.slug = "copy"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kUnimplemented);
    CHECK_THAT(r.error().message, Catch::Contains("version 2"));
    RequireNothingRestored(w, live, "copy");
  }
  SECTION("bytes appended after the end record") {
    auto r = RestoreFromString(w, file + "x", {.slug = "copy"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kDataCorrupted);
    RequireNothingRestored(w, live, "copy");
  }
  SECTION("a consistent-looking file whose checksum was recomputed over bad rows") {
    // Damage after the metadata that still parses: a text length inflated.
    // (Without a valid checksum this is caught either way; this pins that
    // the row decoder itself refuses lengths past the record.)
    std::string bad = file;
    const auto at = bad.find("Grüße");
    REQUIRE(at != std::string::npos);
    bad[at - 2] = static_cast<char>(0x7f);  // high byte of the u32 length
    std::istringstream in(bad);
    auto v = Backup::Verify(in);
    REQUIRE_FALSE(v);
    CHECK(v.error().code == Errc::kDataCorrupted);
  }
  CHECK(w.Digest(acme.id) == other_before);
}

TEST_CASE("a restore under a taken slug is refused unless it explicitly replaces",
          "[backup][sqlite]") {
  const auto model = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  CAPTURE(Name(model));
  World w;
  const Tenant acme = w.Provision("acme", model);
  const Tenant other = w.Provision("other", IsolationModel::kShared);
  w.Fill(acme.id, 12, "a");
  w.Fill(other.id, 5, "o");
  const auto items_at_backup = w.AllItems(acme.id);
  const std::string file = BackupToString(w, acme.id);
  const std::string other_before = w.Digest(other.id);

  // The tenant moves on after the backup.
  Repository<Item> items(w.store(), Items());
  REQUIRE(items.Remove(w.Ctx(acme.id), items_at_backup[0].id));
  REQUIRE(items.Insert(w.Ctx(acme.id), World::MakeItem(99, "late")));
  const auto items_now = w.AllItems(acme.id);

  auto refused = RestoreFromString(w, file, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::kAlreadyExists);
  CHECK(w.AllItems(acme.id) == items_now);  // untouched

  auto wrong_model = RestoreFromString(
      w, file,
      {.model = model == IsolationModel::kShared ? IsolationModel::kDatabase : IsolationModel::kShared,
       .replace_existing = true});
  REQUIRE_FALSE(wrong_model);
  CHECK(wrong_model.error().code == Errc::kInvalidArgument);
  CHECK(w.AllItems(acme.id) == items_now);

  auto replaced = RestoreFromString(w, file, {.replace_existing = true});
  REQUIRE(replaced);
  CHECK_FALSE(replaced->created);
  CHECK(replaced->tenant.id == acme.id);  // same tenant, same keys
  CHECK(replaced->resealed == 0);
  CHECK(w.AllItems(acme.id) == items_at_backup);
  CHECK(w.Digest(other.id) == other_before);

  // Replacing another tenant with acme's backup re-seals under its keys.
  auto onto_other = RestoreFromString(w, file, {.slug = "other", .replace_existing = true});
  REQUIRE(onto_other);
  CHECK(onto_other->tenant.id == other.id);
  CHECK(onto_other->resealed > 0);
  CHECK(w.AllItems(other.id) == items_at_backup);
  CHECK(w.AllItems(acme.id) == items_at_backup);
}

TEST_CASE("a backup of an offboarded, crypto-shredded tenant cannot be restored",
          "[backup][sqlite][keys]") {
  const auto model = GENERATE(from_range(std::begin(kModels), std::end(kModels)));
  CAPTURE(Name(model));
  World w;
  const Tenant acme = w.Provision("acme", model);
  w.Fill(acme.id, 10, "a");
  const std::string file = BackupToString(w, acme.id);
  REQUIRE(w.directory().Offboard(acme.id, "contract ended"));
  REQUIRE(w.keyring().List(acme.id)->empty());
  const std::size_t live = w.directory().live_count();

  auto r = RestoreFromString(w, file, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kFailedPrecondition);
  CHECK_THAT(r.error().message, Catch::Contains("crypto-shredded"));
  RequireNothingRestored(w, live, "acme");
  // And the file itself holds no readable secret: only wrapped keys and
  // ciphertext, which the shredded keyring can no longer open.
  CHECK(file.find("secret of a") == std::string::npos);
  CHECK(file.find("note 1") == std::string::npos);
  // Nor can the backup be written now: the tenant is gone.
  std::ostringstream out;
  auto again = w.MakeBackup().Write(acme.id, out);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::kTenantUnknown);
}

TEST_CASE("a backup carries the tenant's configuration overrides and metadata", "[backup][sqlite]") {
  World w;
  Tenant acme = w.Provision("acme", IsolationModel::kShared);
  REQUIRE(w.directory().Update(acme.id, {.display_name = "ACME Cabs",
                                         .custom_domain = std::optional<std::string>("rides.acme.example")}));
  acme = **w.directory().Get(acme.id);
  REQUIRE(w.config().SetTenant(acme, {{"time_zone", "Asia/Tokyo"}}, "ops"));
  w.clock().Advance(std::chrono::hours(5));
  BackupInfo info;
  const std::string file = BackupToString(w, acme.id, &info);
  CHECK(info.created_at == w.clock().Now());
  CHECK(info.has_config);
  CHECK(info.engine == "sqlite");
  CHECK(info.schema_version == 2);
  REQUIRE(info.tables.size() == 2);
  CHECK(info.tables[0].name == "items");
  CHECK(info.tables[0].columns.size() == 7);
  CHECK(info.tables[0].columns[0].key == 1);
  CHECK(info.tables[1].columns[1].key == 2);

  std::istringstream in(file);
  auto verified = Backup::Verify(in);
  REQUIRE(verified);
  CHECK(verified->checksum == info.checksum);
  CHECK(verified->tenant.display_name == "ACME Cabs");
  CHECK(verified->created_at == info.created_at);

  auto copy = RestoreFromString(w, file, {.slug = "acme-copy"});
  REQUIRE(copy);
  CHECK(copy->tenant.display_name == "ACME Cabs");
  CHECK(copy->tenant.tier == "standard");
  CHECK_FALSE(copy->tenant.custom_domain);  // acme still holds it
  REQUIRE(copy->notes.size() == 1);
  CHECK_THAT(copy->notes[0], Catch::Contains("rides.acme.example"));
  CHECK(w.config().Snapshot(copy->tenant)->time_zone() == "Asia/Tokyo");

  // Replacing puts the backed-up overrides back, dropping later ones.
  REQUIRE(w.config().SetTenant(acme, {{"time_zone", "UTC"}, {"branding", {{"name", "X"}, {"primary_color", "#112233"}}}}, "ops"));
  auto replaced = RestoreFromString(w, file, {.replace_existing = true});
  REQUIRE(replaced);
  auto snap = w.config().Snapshot(acme);
  CHECK(snap->time_zone() == "Asia/Tokyo");
  CHECK(*snap->SourceOf("branding") != ConfigLayer::kTenant);
}

TEST_CASE("a restore into an instance whose schema is older than the backup's is refused",
          "[backup][sqlite]") {
  World a;
  const Tenant acme = a.Provision("acme", IsolationModel::kDatabase);
  a.Fill(acme.id, 3, "a");
  const std::string file = BackupToString(a, acme.id);
  World old(a.key_file(), /*with_pairs=*/false);
  const std::size_t live = old.directory().live_count();
  auto r = RestoreFromString(old, file, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kFailedPrecondition);
  CHECK_THAT(r.error().message, Catch::Contains("migrate first"));
  RequireNothingRestored(old, live, "acme");
}

TEST_CASE("a backup is one consistent snapshot while writers keep changing the tenant",
          "[backup][sqlite][concurrency]") {
  const auto model = GENERATE(IsolationModel::kShared, IsolationModel::kDatabase);
  CAPTURE(Name(model));
  World w;
  const Tenant acme = w.Provision("acme", model);
  // Ten accounts holding 100 each; writers move amounts between them in
  // transactions, so every consistent snapshot sums to 1000.
  Repository<Item> items(w.store(), Items());
  const auto ctx = w.Ctx(acme.id);
  for (int i = 0; i < 10; ++i) {
    Item it{"acct-" + std::to_string(i), 100, std::nullopt, std::nullopt, std::nullopt, "s", std::nullopt};
    REQUIRE(items.Insert(ctx, it));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> moves{0};
  auto writer = [&](int seed) {
    int k = seed;
    while (!stop.load()) {
      const std::string a = "acct-" + std::to_string(k % 10), b = "acct-" + std::to_string((k * 7 + 3) % 10);
      ++k;
      if (a == b) continue;
      auto r = w.store().Transact(ctx, [&](Transaction& tx) -> Result<void> {
        auto x = items.Get(tx, a);
        auto y = items.Get(tx, b);
        if (!x) return x.error();
        if (!y) return y.error();
        *x->n -= 3;
        *y->n += 3;
        if (auto u = items.Update(tx, *x); !u) return u;
        return items.Update(tx, *y);
      });
      if (r) moves.fetch_add(1);
    }
  };
  std::thread t1(writer, 1), t2(writer, 5);
  std::vector<std::string> files;
  while (files.size() < 5) {
    std::ostringstream out;
    auto r = w.MakeBackup().Write(acme.id, out);
    REQUIRE(r);
    files.push_back(out.str());
  }
  while (moves.load() < 20) std::this_thread::yield();
  stop = true;
  t1.join();
  t2.join();
  for (std::size_t f = 0; f < files.size(); ++f) {
    auto restored = RestoreFromString(w, files[f], {.slug = "snap-" + std::to_string(f)});
    REQUIRE(restored);
    std::int64_t sum = 0;
    for (const auto& it : w.AllItems(restored->tenant.id)) sum += it.n.value_or(0);
    CHECK(sum == 1000);
  }
}

TEST_CASE("two restores racing for one slug: one wins, the other is refused", "[backup][sqlite][concurrency]") {
  World w;
  const Tenant acme = w.Provision("acme", IsolationModel::kShared);
  w.Fill(acme.id, 20, "a");
  const std::string file = BackupToString(w, acme.id);
  std::vector<Result<RestoreReport>> results(2, Fail(Errc::kInternal, "not run"));
  std::thread a([&] { results[0] = RestoreFromString(w, file, {.slug = "twin", .model = IsolationModel::kDatabase}); });
  std::thread b([&] { results[1] = RestoreFromString(w, file, {.slug = "twin", .model = IsolationModel::kDatabase}); });
  a.join();
  b.join();
  const int ok = (results[0] ? 1 : 0) + (results[1] ? 1 : 0);
  CHECK(ok == 1);
  for (const auto& r : results)
    if (!r) CHECK(r.error().code == Errc::kAlreadyExists);
  auto twin = w.directory().GetBySlug("twin");
  REQUIRE(twin);
  CHECK(w.AllItems((*twin)->id) == w.AllItems(acme.id));
}

TEST_CASE("restore refuses bad options and unseekable input before touching anything", "[backup][sqlite]") {
  World w;
  const Tenant acme = w.Provision("acme", IsolationModel::kShared);
  w.Fill(acme.id, 2, "a");
  const std::string file = BackupToString(w, acme.id);
  const std::size_t live = w.directory().live_count();

  auto bad_slug = RestoreFromString(w, file, {.slug = "Not A Slug"});
  REQUIRE_FALSE(bad_slug);
  CHECK(bad_slug.error().code == Errc::kInvalidArgument);
  auto placement = RestoreFromString(w, file, {.slug = "p", .model = IsolationModel::kShared,
                                               .placement = (w.root() / "x").string()});
  REQUIRE_FALSE(placement);
  CHECK(placement.error().code == Errc::kInvalidArgument);

  // A pipe-like stream cannot be read twice.
  struct NoSeek : std::streambuf {
    explicit NoSeek(std::string s) : data(std::move(s)) { setg(data.data(), data.data(), data.data() + data.size()); }
    pos_type seekoff(off_type, std::ios_base::seekdir, std::ios_base::openmode) override { return pos_type(-1); }
    std::string data;
  } buf(file);
  std::istream pipe(&buf);
  auto r = w.MakeBackup().Restore(pipe, {.slug = "piped"});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kInvalidArgument);
  RequireNothingRestored(w, live, "piped");

  Backup no_directory(BackupSources{});
  std::ostringstream out;
  auto none = no_directory.Write(acme.id, out);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::kInvalidArgument);
}

TEST_CASE("a restore to a dedicated placement of the operator's choosing", "[backup][sqlite]") {
  World w;
  const Tenant acme = w.Provision("acme", IsolationModel::kShared);
  w.Fill(acme.id, 8, "a");
  const std::string file = BackupToString(w, acme.id);
  const auto placement = w.root() / "placements" / "acme-iso";
  auto r = RestoreFromString(w, file, {.slug = "acme-iso", .model = IsolationModel::kDedicated,
                                       .placement = placement.string()});
  REQUIRE(r);
  CHECK(r->tenant.placement == placement.string());
  CHECK(std::filesystem::exists(placement / "tenant.db"));
  CHECK(w.AllItems(r->tenant.id) == w.AllItems(acme.id));
}

}  // namespace tenancy::testing
