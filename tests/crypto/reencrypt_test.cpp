// Re-encryption after a key rotation: batches, saved progress, resuming after
// a crash, nothing lost, and concurrent writers never overwritten.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <string>

#include "support/security_fixture.hpp"
#include "tenancy/reencrypt.hpp"

using namespace tenancy;
using namespace tenancy::testing;

namespace {

std::string RiderId(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "r%03d", i);
  return buf;
}

Rider MakeRider(int i) {
  // Every third rider has no phone: NULL must survive re-encryption as NULL.
  std::optional<std::string> phone;
  if (i % 3 != 0) phone = "+49 30 " + std::to_string(100000 + i);
  return Rider{RiderId(i), "Rider number " + std::to_string(i) + std::string(i % 7, '*'), phone, i % 5,
               ""};
}

// The key version of every sealed value of the tenant's riders, read raw.
std::map<std::string, std::pair<int, int>> StoredVersions(SecurityWorld& world, const Tenant& t) {
  std::map<std::string, std::pair<int, int>> out;
  RawDb db(world.tenant_db(t));
  for (auto& r : db.Query("SELECT id, name, phone FROM riders WHERE tenant_id = ?1", {t.id.str()})) {
    auto version = [](const std::optional<std::string>& v) {
      if (!v) return 0;  // NULL
      return FieldCipher::VersionOf({reinterpret_cast<const std::uint8_t*>(v->data()), v->size()})
          .value();
    };
    out[*r[0]] = {version(r[1]), version(r[2])};
  }
  return out;
}

IsolationModel SomeModel() { return GENERATE(IsolationModel::kShared, IsolationModel::kDatabase); }

}  // namespace

TEST_CASE("re-encryption resumes after a stop and loses nothing", "[crypto][reencrypt]") {
  const IsolationModel model = SomeModel();
  CAPTURE(static_cast<int>(model));
  SecurityWorld world;
  auto acme = world.Provision("acme", model);
  auto other = world.Provision("other", model);
  {
    Repository<Rider> riders(world.store(), Riders());
    auto ctx = world.Context(acme);
    for (int i = 0; i < 100; ++i) REQUIRE(riders.Insert(ctx, MakeRider(i)));
    REQUIRE(riders.Insert(world.Context(other), MakeRider(1)));
  }
  REQUIRE(world.keyring().Rotate(acme.id).value() == 2);
  for (const auto& [id, v] : StoredVersions(world, acme)) REQUIRE(v.first == 1);

  // First run: three batches of 7, then stopped.
  {
    auto re = Reencryptor::Open(world.control_db(), world.store());
    REQUIRE(re);
    int batches = 0;
    std::vector<std::int64_t> seen_after_batch;
    auto progress = (*re)->Run(world.Context(acme), *Riders().schema(), 7,
                               [&](const ReencryptProgress& p) {
                                 seen_after_batch.push_back(p.rows_seen);
                                 return ++batches < 3;
                               });
    REQUIRE(progress);
    CHECK(batches == 3);
    CHECK(seen_after_batch == std::vector<std::int64_t>{7, 14, 21});
    CHECK(progress->table == "riders");
    CHECK(progress->target_version == 2);
    CHECK(progress->rows_seen == 21);
    CHECK(progress->rows_rewritten == 21);
    CHECK_FALSE(progress->done);

    auto saved = (*re)->Progress(acme.id, "riders");
    REQUIRE(saved);
    CHECK(saved->rows_seen == 21);
    CHECK(saved->rows_rewritten == 21);
    CHECK(saved->target_version == 2);
    CHECK_FALSE(saved->done);
    CHECK((*re)->Progress(other.id, "riders").error().code == Errc::kNotFound);
    CHECK((*re)->Progress(acme.id, "drivers").error().code == Errc::kNotFound);
  }
  // Exactly the first 21 rows (in key order) moved.
  {
    auto versions = StoredVersions(world, acme);
    for (int i = 0; i < 100; ++i) {
      CAPTURE(i);
      const int expected = i < 21 ? 2 : 1;
      CHECK(versions[RiderId(i)].first == expected);
      CHECK(versions[RiderId(i)].second == (i % 3 == 0 ? 0 : expected));
    }
  }

  // "Crash": everything is closed and opened again; a new reencryptor resumes.
  world.Reopen();
  {
    auto re = Reencryptor::Open(world.control_db(), world.store());
    REQUIRE(re);
    auto saved = (*re)->Progress(acme.id, "riders");
    REQUIRE(saved);
    CHECK(saved->rows_seen == 21);
    int batches = 0;
    auto progress = (*re)->Run(world.Context(acme), *Riders().schema(), 7, [&](const ReencryptProgress&) {
      ++batches;
      return true;
    });
    REQUIRE(progress);
    CHECK(progress->done);
    CHECK(progress->target_version == 2);
    CHECK(progress->rows_seen == 100);
    CHECK(progress->rows_rewritten == 100);
    CHECK(batches == 11);  // rows 21..99 in batches of 7; the last stops on done
    CHECK((*re)->Progress(acme.id, "riders")->done);

    // Done is done: another run does no work.
    auto again = (*re)->Run(world.Context(acme), *Riders().schema(), 7);
    REQUIRE(again);
    CHECK(again->done);
    CHECK(again->rows_rewritten == 100);
  }

  // Every stored value is under the new primary, and every row reads back.
  const int primary = world.keyring().PrimaryVersion(acme.id).value();
  REQUIRE(primary == 2);
  for (const auto& [id, v] : StoredVersions(world, acme)) {
    CAPTURE(id);
    CHECK(v.first == primary);
    CHECK((v.second == primary || v.second == 0));
  }
  Repository<Rider> riders(world.store(), Riders());
  auto ctx = world.Context(acme);
  for (int i = 0; i < 100; ++i) {
    auto got = riders.Get(ctx, RiderId(i));
    REQUIRE(got);
    Rider expected = MakeRider(i);
    expected.tenant_id = acme.id.str();
    CHECK(*got == expected);
  }
  CHECK(riders.Count(ctx).value() == 100);
  // The other tenant was not touched.
  CHECK(StoredVersions(world, other)[RiderId(1)].first == 1);
  CHECK(riders.Get(world.Context(other), RiderId(1))->name == MakeRider(1).name);

  SECTION("a later rotation starts a new pass") {
    REQUIRE(world.keyring().Rotate(acme.id).value() == 3);
    auto re = Reencryptor::Open(world.control_db(), world.store());
    REQUIRE(re);
    auto progress = (*re)->Run(world.Context(acme), *Riders().schema(), 50);
    REQUIRE(progress);
    CHECK(progress->done);
    CHECK(progress->target_version == 3);
    CHECK(progress->rows_seen == 100);
    CHECK(progress->rows_rewritten == 100);
    for (const auto& [id, v] : StoredVersions(world, acme)) CHECK(v.first == 3);
  }
}

TEST_CASE("re-encryption never overwrites a concurrent update", "[crypto][reencrypt]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto ctx = world.Context(acme);
  Repository<Rider> riders(world.store(), Riders());
  for (int i = 0; i < 100; ++i) REQUIRE(riders.Insert(ctx, MakeRider(i)));
  REQUIRE(world.keyring().Rotate(acme.id));

  // Between batches, a writer changes rows ahead of the cursor and behind it.
  auto re = Reencryptor::Open(world.control_db(), world.store());
  REQUIRE(re);
  int batches = 0;
  auto progress = (*re)->Run(ctx, *Riders().schema(), 7, [&](const ReencryptProgress&) {
    if (++batches == 2) {
      Rider ahead = MakeRider(60);
      ahead.name = "changed while re-encrypting";
      ahead.phone = std::nullopt;
      REQUIRE(riders.Update(ctx, ahead));
      Rider behind = MakeRider(3);
      behind.name = "changed behind the cursor";
      REQUIRE(riders.Update(ctx, behind));
      REQUIRE(riders.Remove(ctx, RiderId(70)));
    }
    return true;
  });
  REQUIRE(progress);
  CHECK(progress->done);
  CHECK(progress->rows_seen == 99);       // one row was removed ahead of the cursor
  CHECK(progress->rows_rewritten == 98);  // and one was already under the primary
  CHECK(riders.Get(ctx, RiderId(60))->name == "changed while re-encrypting");
  CHECK_FALSE(riders.Get(ctx, RiderId(60))->phone.has_value());
  CHECK(riders.Get(ctx, RiderId(3))->name == "changed behind the cursor");
  CHECK(riders.Get(ctx, RiderId(70)).error().code == Errc::kNotFound);
  for (const auto& [id, v] : StoredVersions(world, acme)) CHECK(v.first == 2);
}

TEST_CASE("a stale writer sealing under the old key is re-encrypted, not lost", "[crypto][reencrypt]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto ctx = world.Context(acme);
  Repository<Rider> riders(world.store(), Riders());
  for (int i = 0; i < 30; ++i) REQUIRE(riders.Insert(ctx, MakeRider(i)));

  // A second process whose keyring cached version 1 as primary before the
  // rotation below keeps sealing under version 1.
  auto keyring2 = Keyring::Open(world.control_db(), world.keys(), world.clock());
  REQUIRE(keyring2);
  FieldCipher cipher2(**keyring2);
  StoreOptions so;
  so.cipher = &cipher2;
  auto store2 = Store::Open("sqlite://" + world.data_dir().string(), SecuritySchema(), so);
  REQUIRE(store2);
  Repository<Rider> stale(**store2, Riders());
  REQUIRE(stale.Get(ctx, RiderId(0)));  // warms its cache: primary = 1

  REQUIRE(world.keyring().Rotate(acme.id).value() == 2);
  auto re = Reencryptor::Open(world.control_db(), world.store());
  REQUIRE(re);
  int batches = 0;
  auto progress = (*re)->Run(ctx, *Riders().schema(), 5, [&](const ReencryptProgress&) {
    if (++batches == 1) {
      Rider r = MakeRider(20);
      r.name = "written by a stale process";
      REQUIRE(stale.Update(ctx, r));
    }
    return true;
  });
  REQUIRE(progress);
  CHECK(progress->done);
  CHECK(progress->rows_rewritten == 30);
  for (const auto& [id, v] : StoredVersions(world, acme)) CHECK(v.first == 2);
  CHECK(riders.Get(ctx, RiderId(20))->name == "written by a stale process");
}

TEST_CASE("re-encryption refuses bad input", "[crypto][reencrypt]") {
  SecurityWorld world;
  auto acme = world.Provision("acme");
  auto re = Reencryptor::Open(world.control_db(), world.store());
  REQUIRE(re);
  CHECK((*re)->Run(world.Context(acme), *Riders().schema(), 0).error().code == Errc::kInvalidArgument);
  CHECK((*re)->Run(world.Context(acme), *Riders().schema(), 1001).error().code == Errc::kInvalidArgument);

  auto plain_store = Store::Open("sqlite://" + world.data_dir().string(), SecuritySchema());
  REQUIRE(plain_store);
  auto no_cipher = Reencryptor::Open(world.control_db(), **plain_store);
  REQUIRE_FALSE(no_cipher);
  CHECK(no_cipher.error().code == Errc::kFailedPrecondition);

  // A shredded tenant's rows cannot be re-encrypted (its keys are gone).
  auto doomed = world.Provision("doomed");
  auto dctx = world.Context(doomed);
  Repository<Rider> riders(world.store(), Riders());
  REQUIRE(riders.Insert(dctx, MakeRider(1)));
  REQUIRE(world.keyring().Destroy(doomed.id));
  CHECK_FALSE((*re)->Run(dctx, *Riders().schema(), 10));
}
