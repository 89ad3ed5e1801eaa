// Field encryption through repositories: what reaches the disk, what happens
// to a ciphertext that is altered or moved, and the sealed format.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "crypto/field_ad.hpp"
#include "support/security_fixture.hpp"

using namespace tenancy;
using namespace tenancy::testing;
namespace fs = std::filesystem;

namespace {

IsolationModel AnyModel() {
  return GENERATE(IsolationModel::kShared, IsolationModel::kDatabase, IsolationModel::kDedicated);
}

const char* ModelName(IsolationModel m) {
  switch (m) {
    case IsolationModel::kShared: return "shared";
    case IsolationModel::kDatabase: return "database";
    case IsolationModel::kDedicated: return "dedicated";
  }
  return "?";
}

BlobView View(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The stored (sealed) value of a rider's column, read around the library.
std::optional<std::string> RawColumn(const SecurityWorld& world, const Tenant& t, std::string_view id,
                                     std::string_view column) {
  RawDb db(world.tenant_db(t));
  auto rows = db.Query("SELECT " + std::string(column) + " FROM riders WHERE tenant_id = ?1 AND id = ?2",
                       {t.id.str(), std::string(id)});
  REQUIRE(rows.size() == 1);
  return rows[0][0];
}

void WriteRawColumn(const SecurityWorld& world, const Tenant& t, std::string_view id,
                    std::string_view column, const std::string& bytes) {
  RawDb db(world.tenant_db(t));
  db.Query("UPDATE riders SET " + std::string(column) + " = ?3 WHERE tenant_id = ?1 AND id = ?2",
           {t.id.str(), std::string(id)}, {{3, bytes}});
  REQUIRE(db.Changes() == 1);
}

void CheckCorrupted(const Result<Rider>& r, std::string_view column) {
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kDataCorrupted);
  CHECK_THAT(r.error().message, Catch::Contains("riders." + std::string(column)));
  CHECK_THAT(r.error().message, Catch::Contains("fails authentication"));
}

}  // namespace

TEST_CASE("encrypted columns round-trip through repositories", "[crypto][fields]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  SecurityWorld world;
  auto acme = world.Provision("acme", model);
  auto ctx = world.Context(acme);
  Repository<Rider> riders(world.store(), Riders());

  Rider ada{"r1", "Ada Lovelace", "+44 20 7946 0000", 5, ""};
  Rider bob{"r2", "", std::nullopt, 3, ""};  // empty plaintext, null column
  REQUIRE(riders.Insert(ctx, ada));
  REQUIRE(riders.Insert(ctx, bob));
  ada.tenant_id = bob.tenant_id = acme.id.str();
  CHECK(riders.Get(ctx, "r1").value() == ada);
  CHECK(riders.Get(ctx, "r2").value() == bob);

  // On disk: sealed blobs (format 1, key version 1, 45 bytes of overhead);
  // NULL stays NULL; the clear column stays clear.
  const auto name = RawColumn(world, acme, "r1", "name");
  REQUIRE(name);
  CHECK(name->size() == ada.name.size() + FieldCipher::kOverhead);
  CHECK(static_cast<unsigned char>((*name)[0]) == FieldCipher::kFormat);
  CHECK(FieldCipher::VersionOf(View(*name)).value() == 1);
  CHECK(RawColumn(world, acme, "r2", "name")->size() == FieldCipher::kOverhead);
  CHECK_FALSE(RawColumn(world, acme, "r2", "phone").has_value());
  CHECK(*RawColumn(world, acme, "r1", "rating") == "5");

  // Each write seals afresh (new nonce), so equal plaintexts do not show.
  ada.phone = "+44 20 7946 0001";
  REQUIRE(riders.Update(ctx, ada));
  const auto resealed = RawColumn(world, acme, "r1", "name");
  CHECK(*resealed != *name);
  CHECK(riders.Get(ctx, "r1").value() == ada);
  bob.phone = "0";
  REQUIRE(riders.Upsert(ctx, bob));
  CHECK(riders.Get(ctx, "r2").value() == bob);

  auto page = riders.List(ctx);
  REQUIRE(page);
  REQUIRE(page->items.size() == 2);
  CHECK(page->items[0] == ada);
  CHECK(page->items[1] == bob);

  world.Reopen();  // cold keyring cache
  Repository<Rider> again(world.store(), Riders());
  CHECK(again.Get(world.Context(acme), "r1").value() == ada);
}

TEST_CASE("plaintext of encrypted columns never reaches the database files", "[crypto][fields]") {
  const IsolationModel model = AnyModel();
  CAPTURE(ModelName(model));
  SecurityWorld world;
  auto acme = world.Provision("acme", model);
  auto ctx = world.Context(acme);
  Repository<Rider> riders(world.store(), Riders());

  std::vector<std::string> secrets;
  for (int i = 0; i < 25; ++i) {
    Rider r{"rider-key-" + std::to_string(i), "ZEBRA-NAME-" + std::to_string(1000 + i),
            "QUAGGA-PHONE-" + std::to_string(5000 + i), i, ""};
    secrets.push_back(r.name);
    secrets.push_back(*r.phone);
    REQUIRE(riders.Insert(ctx, r));
  }
  // Overwrite some: the old plaintext must not linger either.
  for (int i = 0; i < 5; ++i) {
    Rider r{"rider-key-" + std::to_string(i), "OKAPI-NAME-" + std::to_string(i), std::nullopt, i, ""};
    secrets.push_back(r.name);
    REQUIRE(riders.Update(ctx, r));
  }

  auto scan = [&](const char* when) {
    INFO(when);
    // The scan sees the files: the keys (stored in the clear) are found.
    CHECK_FALSE(FilesContaining(world.dir().path(), "rider-key-17").empty());
    for (const auto& s : secrets) {
      INFO("plaintext " << s);
      CHECK(FilesContaining(world.dir().path(), s).empty());
    }
    CHECK(FilesContaining(world.dir().path(), "ZEBRA-NAME").empty());
    CHECK(FilesContaining(world.dir().path(), "QUAGGA-PHONE").empty());
  };
  scan("running (data in the WAL)");
  world.Close();  // checkpoints: data moves into the database files
  scan("closed");
  world.Reopen();
  Repository<Rider> again(world.store(), Riders());
  CHECK(again.Get(world.Context(acme), "rider-key-17")->name == "ZEBRA-NAME-1017");
  CHECK(again.Get(world.Context(acme), "rider-key-3")->name == "OKAPI-NAME-3");
}

TEST_CASE("a ciphertext moved to another tenant, row or column fails to open", "[crypto][fields]") {
  SecurityWorld world;
  auto acme = world.Provision("acme", IsolationModel::kShared);
  auto beta = world.Provision("beta", IsolationModel::kShared);
  auto actx = world.Context(acme), bctx = world.Context(beta);
  Repository<Rider> riders(world.store(), Riders());
  REQUIRE(riders.Insert(actx, Rider{"r1", "Acme One", "+1 111", 1, ""}));
  REQUIRE(riders.Insert(actx, Rider{"r2", "Acme Two", "+1 222", 2, ""}));
  REQUIRE(riders.Insert(bctx, Rider{"r1", "Beta One", "+2 111", 1, ""}));
  const std::string acme_r1_name = *RawColumn(world, acme, "r1", "name");

  SECTION("to another tenant's row with the same key") {
    WriteRawColumn(world, beta, "r1", "name", acme_r1_name);
    CheckCorrupted(riders.Get(bctx, "r1"), "name");
    auto page = riders.List(bctx);
    REQUIRE_FALSE(page);
    CHECK(page.error().code == Errc::kDataCorrupted);
    // The victim's own row is fine.
    CHECK(riders.Get(actx, "r1")->name == "Acme One");
  }
  SECTION("to another row of the same tenant") {
    WriteRawColumn(world, acme, "r2", "name", acme_r1_name);
    CheckCorrupted(riders.Get(actx, "r2"), "name");
    CHECK(riders.Get(actx, "r1")->name == "Acme One");
  }
  SECTION("swapped between two rows") {
    const std::string r2 = *RawColumn(world, acme, "r2", "phone");
    const std::string r1 = *RawColumn(world, acme, "r1", "phone");
    WriteRawColumn(world, acme, "r1", "phone", r2);
    WriteRawColumn(world, acme, "r2", "phone", r1);
    CheckCorrupted(riders.Get(actx, "r1"), "phone");
    CheckCorrupted(riders.Get(actx, "r2"), "phone");
  }
  SECTION("to another column of the same row") {
    WriteRawColumn(world, acme, "r1", "phone", acme_r1_name);
    CheckCorrupted(riders.Get(actx, "r1"), "phone");
  }
  SECTION("a flipped byte anywhere") {
    // nonce (5..28), sealed body, tag (last 16 bytes)
    for (std::size_t at : {std::size_t{5}, std::size_t{28}, std::size_t{29}, std::size_t{31},
                           acme_r1_name.size() - 16, acme_r1_name.size() - 1}) {
      CAPTURE(at);
      std::string bad = acme_r1_name;
      bad[at] = static_cast<char>(bad[at] ^ 0x01);
      WriteRawColumn(world, acme, "r1", "name", bad);
      CheckCorrupted(riders.Get(actx, "r1"), "name");
    }
  }
  SECTION("a broken header or length") {
    std::string format = acme_r1_name;
    format[0] = 2;
    std::string version0 = acme_r1_name;
    version0[4] = 0;
    std::string version2 = acme_r1_name;
    version2[4] = 2;  // names a key version the tenant does not have
    const std::string truncated = acme_r1_name.substr(0, FieldCipher::kOverhead - 1);
    for (const std::string& bad : std::vector<std::string>{format, version0, truncated}) {
      WriteRawColumn(world, acme, "r1", "name", bad);
      auto r = riders.Get(actx, "r1");
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kDataCorrupted);
      CHECK_THAT(r.error().message, Catch::Contains("riders.name"));
    }
    WriteRawColumn(world, acme, "r1", "name", version2);
    CHECK_FALSE(riders.Get(actx, "r1"));
    // Once version 2 exists the forged version is tried and fails the tag.
    REQUIRE(world.keyring().Rotate(acme.id));
    CheckCorrupted(riders.Get(actx, "r1"), "name");
  }
  SECTION("plaintext written around the library is not accepted as a value") {
    WriteRawColumn(world, acme, "r1", "name", std::string(60, 'A'));
    auto r = riders.Get(actx, "r1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kDataCorrupted);
  }
}

TEST_CASE("ciphertexts moved inside and between database-model tenants fail to open",
          "[crypto][fields]") {
  SecurityWorld world;
  auto acme = world.Provision("acme", IsolationModel::kDatabase);
  auto beta = world.Provision("beta", IsolationModel::kDatabase);
  auto actx = world.Context(acme), bctx = world.Context(beta);
  Repository<Rider> riders(world.store(), Riders());
  REQUIRE(riders.Insert(actx, Rider{"r1", "Acme One", "+1 111", 1, ""}));
  REQUIRE(riders.Insert(actx, Rider{"r2", "Acme Two", "+1 222", 2, ""}));
  REQUIRE(riders.Insert(bctx, Rider{"r1", "Beta One", "+2 111", 1, ""}));

  SECTION("within the tenant, through confined raw SQL") {
    auto moved = world.store().Transact(actx, [&](Transaction& tx) -> Result<void> {
      const Param r1[] = {std::string_view("r1")};
      auto rows = tx.Query("SELECT name FROM riders WHERE tenant_id = :tenant_id AND id = ?", r1);
      if (!rows) return rows.error();
      if (rows->size() != 1 || !std::holds_alternative<Blob>((*rows)[0][0]))
        return Fail(Errc::kInternal, "expected one sealed blob");
      const Blob sealed = std::get<Blob>((*rows)[0][0]);
      const Param set[] = {BlobView(sealed), std::string_view("r2")};
      auto n = tx.Execute("UPDATE riders SET name = ? WHERE tenant_id = :tenant_id AND id = ?", set);
      if (!n) return n.error();
      if (*n != 1) return Fail(Errc::kInternal, "expected one row changed");
      // And into another column of the same row.
      const Param set2[] = {BlobView(sealed), std::string_view("r1")};
      auto m = tx.Execute("UPDATE riders SET phone = ? WHERE tenant_id = :tenant_id AND id = ?", set2);
      if (!m) return m.error();
      return {};
    });
    REQUIRE(moved);
    CheckCorrupted(riders.Get(actx, "r2"), "name");
    CheckCorrupted(riders.Get(actx, "r1"), "phone");
  }
  SECTION("from one tenant's database file into another's") {
    WriteRawColumn(world, beta, "r1", "name", *RawColumn(world, acme, "r1", "name"));
    CheckCorrupted(riders.Get(bctx, "r1"), "name");
    CHECK(riders.Get(actx, "r1")->name == "Acme One");
  }
  SECTION("the whole row copied into another tenant's file") {
    const auto name = *RawColumn(world, acme, "r2", "name");
    const auto phone = *RawColumn(world, acme, "r2", "phone");
    RawDb db(world.tenant_db(beta));
    db.Query("INSERT INTO riders (tenant_id, id, name, phone, rating) VALUES (?1, 'r2', ?2, ?3, 2)",
             {beta.id.str()}, {{2, name}, {3, phone}});
    CheckCorrupted(riders.Get(bctx, "r2"), "name");
  }
}

TEST_CASE("encrypted columns cannot be filtered on", "[crypto][fields]") {
  SecurityWorld world;
  auto ctx = world.Context(world.Provision("acme"));
  Repository<Rider> riders(world.store(), Riders());
  REQUIRE(riders.Insert(ctx, Rider{"r1", "Ada", "+1", 4, ""}));
  REQUIRE(riders.Insert(ctx, Rider{"r2", "Bob", std::nullopt, 2, ""}));

  for (const char* column : {"name", "phone"}) {
    for (FilterOp op : {FilterOp::kEq, FilterOp::kNe, FilterOp::kLt, FilterOp::kGe}) {
      ListQuery q;
      q.filters = {{column, op, std::string("Ada")}};
      auto page = riders.List(ctx, q);
      REQUIRE_FALSE(page);
      CHECK(page.error().code == Errc::kInvalidArgument);
      CHECK_THAT(page.error().message, Catch::Contains(column));
      auto count = riders.Count(ctx, q.filters);
      REQUIRE_FALSE(count);
      CHECK(count.error().code == Errc::kInvalidArgument);
    }
    // Also with a blob operand (a ciphertext-equality probe).
    ListQuery q;
    q.filters = {{column, FilterOp::kEq, Blob(60, 1)}};
    CHECK(riders.List(ctx, q).error().code == Errc::kInvalidArgument);
  }
  // Clear columns filter as usual.
  ListQuery rating;
  rating.filters = {{"rating", FilterOp::kGe, std::int64_t{3}}};
  auto page = riders.List(ctx, rating);
  REQUIRE(page);
  REQUIRE(page->items.size() == 1);
  CHECK(page->items[0].name == "Ada");
  CHECK(riders.Count(ctx, rating.filters).value() == 1);
}

namespace {
struct Odd {
  std::string id;
  std::int64_t n = 0;
  int small = 0;
  bool flag = false;
  double x = 0;
  std::optional<std::int64_t> maybe;
  Blob bytes;
  std::optional<Blob> maybe_bytes;
  std::string text;
};
}  // namespace

TEST_CASE("descriptors refuse encrypted keys and encrypted non-text columns", "[crypto][fields]") {
  CHECK_THROWS_AS(Entity<Odd>("odd").Key("id", &Odd::id, {.encrypted = true}), std::logic_error);
  CHECK_THROWS_AS(Entity<Odd>("odd").Key("id", &Odd::id).Key("n", &Odd::n, {.encrypted = true}),
                  std::logic_error);
  CHECK_THROWS_AS(Entity<Odd>("odd").Key("id", &Odd::id).Column("n", &Odd::n, {.encrypted = true}),
                  std::logic_error);
  CHECK_THROWS_AS(Entity<Odd>("odd").Key("id", &Odd::id).Column("small", &Odd::small, {.encrypted = true}),
                  std::logic_error);
  CHECK_THROWS_AS(Entity<Odd>("odd").Key("id", &Odd::id).Column("flag", &Odd::flag, {.encrypted = true}),
                  std::logic_error);
  CHECK_THROWS_AS(Entity<Odd>("odd").Key("id", &Odd::id).Column("x", &Odd::x, {.encrypted = true}),
                  std::logic_error);
  CHECK_THROWS_AS(Entity<Odd>("odd").Key("id", &Odd::id).Column("maybe", &Odd::maybe, {.encrypted = true}),
                  std::logic_error);
  try {
    (void)Entity<Odd>("odd").Key("id", &Odd::id, {.encrypted = true});
  } catch (const std::logic_error& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("cannot be encrypted"));
  }
  // Text and blob columns, nullable or not, are fine.
  Entity<Odd> ok = Entity<Odd>("odd")
                       .Key("id", &Odd::id)
                       .Column("text", &Odd::text, {.encrypted = true})
                       .Column("bytes", &Odd::bytes, {.encrypted = true})
                       .Column("maybe_bytes", &Odd::maybe_bytes, {.encrypted = true})
                       .Column("n", &Odd::n);
  CHECK(ok.schema()->HasEncryptedColumns());
  CHECK(ok.schema()->columns[1].encrypted);
  CHECK_FALSE(ok.schema()->columns[4].encrypted);
}

TEST_CASE("the sealed format: format byte, big-endian version, nonce, tag", "[crypto][fields]") {
  SecurityWorld world;
  const TenantId t = TenantId::Generate();
  REQUIRE(world.keyring().Create(t));
  const Blob row = SecurityWorld::RiderKey("r1");
  const FieldAddress at{t.str(), "riders", "name", row};
  STATIC_REQUIRE(FieldCipher::kOverhead == 45);

  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{70000}}) {
    const Blob plain(n, 0x5a);
    auto sealed = world.cipher().Seal(at, plain);
    REQUIRE(sealed);
    CHECK(sealed->size() == n + 45);
    CHECK((*sealed)[0] == 1);
    CHECK((*sealed)[1] == 0);
    CHECK((*sealed)[2] == 0);
    CHECK((*sealed)[3] == 0);
    CHECK((*sealed)[4] == 1);
    auto again = world.cipher().Seal(at, plain);
    CHECK(std::equal(sealed->begin() + 5, sealed->begin() + 29, again->begin() + 5) == false);  // nonce
    CHECK(world.cipher().Open(at, *sealed).value() == plain);
  }

  // The address binds tenant, table, column and row key; and the length
  // prefixes keep ("ridersn","ame") apart from ("riders","name").
  {
    auto v1 = world.cipher().Seal(at, ToBlob("bound"));
    REQUIRE(v1);
    auto other = [&](FieldAddress a) { return world.cipher().Open(a, *v1).error().code; };
    const TenantId u = TenantId::Generate();
    REQUIRE(world.keyring().Create(u));
    CHECK(other({u.str(), "riders", "name", row}) == Errc::kDataCorrupted);
    CHECK(other({t.str(), "drivers", "name", row}) == Errc::kDataCorrupted);
    CHECK(other({t.str(), "riders", "phone", row}) == Errc::kDataCorrupted);
    CHECK(other({t.str(), "riders", "name", SecurityWorld::RiderKey("r2")}) == Errc::kDataCorrupted);
    CHECK(other({t.str(), "ridersn", "ame", row}) == Errc::kDataCorrupted);
    CHECK(other({t.str(), "riders", "name", {}}) == Errc::kDataCorrupted);
    CHECK(world.cipher().Open(at, *v1).value() == ToBlob("bound"));
  }

  // Version 258 = 0x00000102 on the wire, most significant byte first.
  for (int v = 2; v <= 258; ++v) REQUIRE(world.keyring().Rotate(t).value() == v);
  auto sealed = world.cipher().Seal(at, ToBlob("x"));
  REQUIRE(sealed);
  CHECK((*sealed)[0] == 1);
  CHECK((*sealed)[1] == 0x00);
  CHECK((*sealed)[2] == 0x00);
  CHECK((*sealed)[3] == 0x01);
  CHECK((*sealed)[4] == 0x02);
  CHECK(FieldCipher::VersionOf(*sealed).value() == 258);
  CHECK(world.cipher().Open(at, *sealed).value() == ToBlob("x"));

  // VersionOf refuses what is not a sealed value.
  CHECK(FieldCipher::VersionOf({}).error().code == Errc::kDataCorrupted);
  CHECK(FieldCipher::VersionOf(Blob(44, 1)).error().code == Errc::kDataCorrupted);
  Blob wrong = *sealed;
  wrong[0] = 0;
  CHECK(FieldCipher::VersionOf(wrong).error().code == Errc::kDataCorrupted);
  Blob zero = *sealed;
  zero[1] = zero[2] = zero[3] = zero[4] = 0;
  CHECK(FieldCipher::VersionOf(zero).error().code == Errc::kDataCorrupted);
  CHECK(world.cipher().Open(at, zero).error().code == Errc::kDataCorrupted);
  Blob huge = *sealed;
  huge[1] = 0x7f;
  CHECK(FieldCipher::VersionOf(huge).error().code == Errc::kDataCorrupted);

}

TEST_CASE("row keys encode type and length unambiguously", "[crypto][fields]") {
  auto enc = [](std::initializer_list<Param> ps) { return EncodeRowKey(std::vector<Param>(ps)); };
  using namespace std::string_view_literals;
  CHECK(enc({"ab"sv, "c"sv}) != enc({"a"sv, "bc"sv}));
  CHECK(enc({"1"sv}) != enc({std::int64_t{1}}));
  CHECK(enc({std::int64_t{1}}) != enc({1.0}));
  const Blob b{'x'};
  CHECK(enc({"x"sv}) != enc({BlobView(b)}));
  CHECK(enc({"r1"sv}) == SecurityWorld::RiderKey("r1"));
  CHECK(enc({std::int64_t{-1}}) != enc({std::int64_t{1}}));
}

TEST_CASE("limits apply to the plaintext, and a store without a cipher fails closed",
          "[crypto][fields]") {
  SecurityOptions options;
  options.store.max_field_bytes = 1024;
  SecurityWorld world(options);
  auto acme = world.Provision("acme");
  auto ctx = world.Context(acme);
  Repository<Rider> riders(world.store(), Riders());
  REQUIRE(riders.Insert(ctx, Rider{"r1", std::string(1024, 'n'), std::nullopt, 1, ""}));
  auto big = riders.Insert(ctx, Rider{"r2", std::string(1025, 'n'), std::nullopt, 1, ""});
  REQUIRE_FALSE(big);
  CHECK(big.error().code == Errc::kInvalidArgument);
  CHECK(riders.Get(ctx, "r1")->name.size() == 1024);

  // The same data directory opened without a cipher neither writes
  // plaintext into encrypted columns nor hands out ciphertext as plaintext.
  auto plain_store = Store::Open("sqlite://" + world.data_dir().string(), SecuritySchema());
  REQUIRE(plain_store);
  Repository<Rider> unsealed(**plain_store, Riders());
  auto write = unsealed.Insert(ctx, Rider{"r3", "CLEARTEXT-R3", std::nullopt, 1, ""});
  REQUIRE_FALSE(write);
  CHECK(write.error().code == Errc::kFailedPrecondition);
  auto read = unsealed.Get(ctx, "r1");
  REQUIRE_FALSE(read);
  CHECK(read.error().code == Errc::kFailedPrecondition);
  CHECK(unsealed.List(ctx).error().code == Errc::kFailedPrecondition);
  CHECK(FilesContaining(world.dir().path(), "CLEARTEXT-R3").empty());
}

// The associated data is part of every stored ciphertext: its encoding may
// never change, or values sealed before the change stop opening. Built here
// independently, byte by byte, from the documented layout.
TEST_CASE("the associated data of a field keeps its documented encoding", "[crypto][field]") {
  const Blob row_key = {0x01, 0x00, 0xff, 0x10};
  const FieldAddress at{.tenant_id = "tn_0123456789abcdef",
                        .table = "riders",
                        .column = "phone",
                        .row_key = row_key};
  std::string expected;
  for (std::string_view part : {std::string_view("tenancy.field.v1"), at.tenant_id, at.table,
                                at.column, std::string_view(reinterpret_cast<const char*>(row_key.data()),
                                                            row_key.size())}) {
    const auto n = static_cast<std::uint32_t>(part.size());
    expected += static_cast<char>(n >> 24);
    expected += static_cast<char>(n >> 16);
    expected += static_cast<char>(n >> 8);
    expected += static_cast<char>(n);
    expected += part;
  }
  crypto::FieldAdBuffer ad;
  ad.push_back(0xee);  // whatever the buffer held is replaced
  crypto::BuildFieldAd(at, ad);
  CHECK(std::string(ad.begin(), ad.end()) == expected);
  FieldAddress empty_column = at;
  empty_column.column = "";
  crypto::BuildFieldAd(empty_column, ad);
  CHECK(ad.size() == expected.size() - 5);
}
