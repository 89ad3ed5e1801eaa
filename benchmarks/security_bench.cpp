// Security core beside raw libsodium: field encryption, API-key and token
// authentication, and a repository point get with encrypted fields.
//
//   BM_Crypto_FieldSeal/N        FieldCipher::Seal (key from the keyring cache,
//                                AD built from the address, fresh nonce, output blob)
//   BM_Crypto_FieldSeal_Baseline raw crypto_aead_xchacha20poly1305_ietf_encrypt with a
//                                fresh nonce and an AD of the same size
//   BM_Crypto_FieldOpen(/_Baseline) the same for opening
//   BM_Auth_ApiKeyCached         Authenticator::AuthenticateApiKey on a cached key
//   BM_Auth_ApiKeyCached_Baseline raw keyed BLAKE2b of a 32-byte secret + crypto_verify_32
//   BM_Auth_TokenVerifyCold      full verification (cache disabled)
//   BM_Auth_TokenVerifyCached    verification answered by the cache
//   BM_Auth_TokenVerify*_Baseline raw crypto_sign_verify_detached of the same token
//   BM_Repo_PointGetEncrypted    Get of an entity with two encrypted fields
//   BM_Repo_PointGetEncrypted_Baseline the same entity shape without encryption
#include <benchmark/benchmark.h>
#include <sodium.h>

#include "bench_support.hpp"
#include "tenancy/auth.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/repository.hpp"

namespace tenancy::bench {
namespace {

struct Rider {
  std::string id;
  std::string name;
  std::string phone;
  std::int64_t rating = 0;
};

Schema RiderSchema() {
  Schema s;
  s.migrations.push_back({1, "riders",
                          "CREATE TABLE riders (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
                          "name BLOB NOT NULL, phone BLOB NOT NULL, rating INTEGER NOT NULL, "
                          "PRIMARY KEY (tenant_id, id));"
                          "CREATE TABLE plain_riders (tenant_id TEXT NOT NULL, id TEXT NOT NULL, "
                          "name TEXT NOT NULL, phone TEXT NOT NULL, rating INTEGER NOT NULL, "
                          "PRIMARY KEY (tenant_id, id));"});
  return s;
}

const Entity<Rider>& SealedRiders() {
  static const auto e = Entity<Rider>("riders")
                            .Key("id", &Rider::id)
                            .Column("name", &Rider::name, {.encrypted = true})
                            .Column("phone", &Rider::phone, {.encrypted = true})
                            .Column("rating", &Rider::rating);
  return e;
}

const Entity<Rider>& PlainRiders() {
  static const auto e = Entity<Rider>("plain_riders")
                            .Key("id", &Rider::id)
                            .Column("name", &Rider::name)
                            .Column("phone", &Rider::phone)
                            .Column("rating", &Rider::rating);
  return e;
}

constexpr int kRiders = 1000;

// Keys, store, directory, authenticator and one tenant, built once.
struct SecurityWorld {
  std::filesystem::path dir = ScratchRoot::Sub("security");
  std::unique_ptr<KeyProvider> keys;
  std::unique_ptr<Keyring> keyring;
  std::unique_ptr<FieldCipher> cipher;
  std::unique_ptr<Store> store;
  std::unique_ptr<Directory> directory;
  std::unique_ptr<Authenticator> auth;      // default caches
  std::unique_ptr<Authenticator> no_cache;  // cache of one entry: always cold
  Tenant tenant;
  std::optional<TenantContext> ctx;
  std::string api_key;
  std::vector<std::string> tokens;

  SecurityWorld() {
    const std::string key_file = (dir / "master.key").string();
    const std::string control = (dir / "control.db").string();
    Must(WriteNewMasterKey(key_file, "m1"), "master key");
    keys = Must(OpenKeyFile(key_file), "key file");
    keyring = Must(Keyring::Open(control, *keys), "keyring");
    cipher = std::make_unique<FieldCipher>(*keyring);
    StoreOptions so;
    so.cipher = cipher.get();
    store = Must(Store::Open("sqlite://" + (dir / "data").string(), RiderSchema(), so), "store");
    DirectoryOptions dopt;
    dopt.path = control;
    dopt.keyring = keyring.get();
    directory = Must(Directory::Open(dopt, *store), "directory");
    ProvisionRequest req;
    req.slug = "bench";
    tenant = Must(directory->Provision(req), "provision").tenant;
    ctx.emplace(Must(directory->MintContext(tenant.id, {"bench"}, {"tenant_admin"}, "r"), "ctx"));
    AuthOptions ao;
    ao.control_db_path = control;
    auth = Must(Authenticator::Open(ao, *directory, *keys), "auth");
    ao.cache_entries = 1;
    no_cache = Must(Authenticator::Open(ao, *directory, *keys), "auth (no cache)");
    api_key = Must(auth->CreateApiKey(tenant.id, "bench", {"dispatcher"}), "api key").key;
    for (int i = 0; i < 64; ++i)
      tokens.push_back(Must(auth->IssueToken(tenant.id, {.subject = "user-" + std::to_string(i),
                                                        .roles = {"rider"},
                                                        .audience = "bench",
                                                        .ttl = std::chrono::seconds(3600)}),
                            "token"));
    Repository<Rider> sealed(*store, SealedRiders());
    Repository<Rider> plain(*store, PlainRiders());
    Must(store->Transact(*ctx, [&](Transaction& tx) -> Result<void> {
      for (int i = 0; i < kRiders; ++i) {
        Rider r{"r" + std::to_string(i), "Rider Number " + std::to_string(i), "+49 30 5550" + std::to_string(i), i % 5};
        if (auto w = sealed.Insert(tx, r); !w) return w;
        if (auto w = plain.Insert(tx, r); !w) return w;
      }
      return {};
    }), "riders");
  }
};

SecurityWorld& World() {
  static SecurityWorld w;
  return w;
}

FieldAddress Address(const SecurityWorld& w, const Blob& row_key) {
  return {w.tenant.id.str(), "riders", "name", row_key};
}

// The size of the associated data FieldCipher binds `at` with: a label and
// the four parts, each after a 4-byte length (src/tenancy/crypto/field_ad.hpp;
// the encoding is pinned by tests/crypto/field_encryption_test.cpp). The
// baselines authenticate an AD of exactly this size, since Poly1305's cost
// grows with it.
std::size_t FieldAdSize(const FieldAddress& at) {
  constexpr std::size_t kLabel = sizeof "tenancy.field.v1" - 1;
  return 5 * 4 + kLabel + at.tenant_id.size() + at.table.size() + at.column.size() +
         at.row_key.size();
}

// The AD of the baselines: as long as the library's for the benchmarked row.
std::string BaselineAd() {
  const Param key[] = {std::string_view("r1")};
  const Blob row_key = EncodeRowKey(key);
  return std::string(FieldAdSize(Address(World(), row_key)), 'a');
}

void BM_Crypto_FieldSeal(benchmark::State& state) {
  auto& w = World();
  const Blob plain(static_cast<std::size_t>(state.range(0)), 0x42);
  const Param key[] = {std::string_view("r1")};
  const Blob row_key = EncodeRowKey(key);
  const FieldAddress at = Address(w, row_key);
  for (auto _ : state) {
    auto sealed = w.cipher->Seal(at, plain);
    benchmark::DoNotOptimize(sealed);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Crypto_FieldSeal_Baseline(benchmark::State& state) {
  unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  crypto_aead_xchacha20poly1305_ietf_keygen(key);
  const Blob plain(static_cast<std::size_t>(state.range(0)), 0x42);
  const std::string ad = BaselineAd();
  for (auto _ : state) {
    Blob out(FieldCipher::kOverhead + plain.size());
    randombytes_buf(out.data() + 5, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + 29, &len, plain.data(), plain.size(),
                                               reinterpret_cast<const unsigned char*>(ad.data()),
                                               ad.size(), nullptr, out.data() + 5, key);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Crypto_FieldOpen(benchmark::State& state) {
  auto& w = World();
  const Blob plain(static_cast<std::size_t>(state.range(0)), 0x42);
  const Param key[] = {std::string_view("r1")};
  const Blob row_key = EncodeRowKey(key);
  const FieldAddress at = Address(w, row_key);
  const Blob sealed = Must(w.cipher->Seal(at, plain), "seal");
  for (auto _ : state) {
    auto opened = w.cipher->Open(at, sealed);
    benchmark::DoNotOptimize(opened);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Crypto_FieldOpen_Baseline(benchmark::State& state) {
  unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  crypto_aead_xchacha20poly1305_ietf_keygen(key);
  const Blob plain(static_cast<std::size_t>(state.range(0)), 0x42);
  const std::string ad = BaselineAd();
  Blob sealed(FieldCipher::kOverhead + plain.size());
  randombytes_buf(sealed.data() + 5, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data() + 29, &len, plain.data(), plain.size(),
                                             reinterpret_cast<const unsigned char*>(ad.data()),
                                             ad.size(), nullptr, sealed.data() + 5, key);
  for (auto _ : state) {
    Blob out(plain.size());
    const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
        out.data(), &len, nullptr, sealed.data() + 29, sealed.size() - 29,
        reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), sealed.data() + 5, key);
    benchmark::DoNotOptimize(rc);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Auth_ApiKeyCached(benchmark::State& state) {
  auto& w = World();
  Must(w.auth->AuthenticateApiKey(w.api_key), "warm");
  for (auto _ : state) {
    auto who = w.auth->AuthenticateApiKey(w.api_key);
    benchmark::DoNotOptimize(who);
  }
}

void BM_Auth_ApiKeyCached_Baseline(benchmark::State& state) {
  unsigned char key[32], secret[32], stored[32];
  randombytes_buf(key, sizeof key);
  randombytes_buf(secret, sizeof secret);
  crypto_generichash(stored, sizeof stored, secret, sizeof secret, key, sizeof key);
  for (auto _ : state) {
    unsigned char h[32];
    crypto_generichash(h, sizeof h, secret, sizeof secret, key, sizeof key);
    benchmark::DoNotOptimize(crypto_verify_32(h, stored));
  }
}

void TokenBaseline(benchmark::State& state) {
  // The cost a verifier cannot avoid: one Ed25519 signature check.
  auto& w = World();
  const std::string& token = w.tokens.front();
  const auto dot = token.rfind('.');
  auto sig = Must(Base64UrlDecode(token.substr(dot + 1)), "sig");
  auto jwks = Must(w.auth->Jwks(w.tenant.id), "jwks");
  const auto x_at = jwks.find("\"x\":\"") + 5;
  auto pk = Must(Base64UrlDecode(jwks.substr(x_at, jwks.find('"', x_at) - x_at)), "pk");
  for (auto _ : state) {
    const int rc = crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(token.data()),
                                               dot, pk.data());
    benchmark::DoNotOptimize(rc);
  }
}

void BM_Auth_TokenVerifyCold(benchmark::State& state) {
  auto& w = World();
  std::size_t i = 0;
  for (auto _ : state) {
    auto who = w.no_cache->VerifyToken(w.tokens[i++ % w.tokens.size()], "bench");
    benchmark::DoNotOptimize(who);
  }
}
void BM_Auth_TokenVerifyCold_Baseline(benchmark::State& state) { TokenBaseline(state); }

void BM_Auth_TokenVerifyCached(benchmark::State& state) {
  auto& w = World();
  for (const auto& t : w.tokens) Must(w.auth->VerifyToken(t, "bench"), "warm");
  std::size_t i = 0;
  for (auto _ : state) {
    auto who = w.auth->VerifyToken(w.tokens[i++ % w.tokens.size()], "bench");
    benchmark::DoNotOptimize(who);
  }
}
void BM_Auth_TokenVerifyCached_Baseline(benchmark::State& state) { TokenBaseline(state); }

void PointGet(benchmark::State& state, const Entity<Rider>& entity) {
  auto& w = World();
  Repository<Rider> repo(*w.store, entity);
  std::vector<std::string> keys;
  for (int i = 0; i < kRiders; ++i) keys.push_back(Key("r", static_cast<std::uint64_t>((i * 7919) % kRiders)));
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = repo.Get(*w.ctx, keys[i++ % keys.size()]);
    benchmark::DoNotOptimize(r);
  }
}
void BM_Repo_PointGetEncrypted(benchmark::State& state) { PointGet(state, SealedRiders()); }
void BM_Repo_PointGetEncrypted_Baseline(benchmark::State& state) { PointGet(state, PlainRiders()); }

BENCHMARK(BM_Crypto_FieldSeal)->Arg(64)->Arg(256)->Arg(4096);
BENCHMARK(BM_Crypto_FieldSeal_Baseline)->Arg(64)->Arg(256)->Arg(4096);
BENCHMARK(BM_Crypto_FieldOpen)->Arg(64)->Arg(256)->Arg(4096);
BENCHMARK(BM_Crypto_FieldOpen_Baseline)->Arg(64)->Arg(256)->Arg(4096);
BENCHMARK(BM_Auth_ApiKeyCached);
BENCHMARK(BM_Auth_ApiKeyCached_Baseline);
BENCHMARK(BM_Auth_TokenVerifyCold);
BENCHMARK(BM_Auth_TokenVerifyCold_Baseline);
BENCHMARK(BM_Auth_TokenVerifyCached);
BENCHMARK(BM_Auth_TokenVerifyCached_Baseline);
BENCHMARK(BM_Repo_PointGetEncrypted);
BENCHMARK(BM_Repo_PointGetEncrypted_Baseline);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();
