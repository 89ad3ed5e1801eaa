// Events and webhooks beside their baselines:
//   BM_Events_AppendInTransaction           vehicle upsert + outbox append, one transaction
//   BM_Events_AppendInTransaction_Baseline  the same transaction without the outbox row
//   BM_Webhooks_Sign                        SignWebhook of a 1 KiB body ("v1,<base64>")
//   BM_Webhooks_Sign_Baseline               raw libsodium HMAC-SHA256 of the same bytes
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <boost/json.hpp>

#include "bench_support.hpp"
#include "tenancy/events.hpp"
#include "tenancy/repository.hpp"
#include "tenancy/webhooks.hpp"

namespace tenancy::bench {
namespace {

struct EventsWorld {
  std::filesystem::path dir = ScratchRoot::Sub("events");
  std::unique_ptr<Store> store;
  std::unique_ptr<Directory> directory;
  std::unique_ptr<Events> events;
  std::unique_ptr<Repository<Vehicle>> vehicles;
  std::optional<TenantContext> ctx;

  EventsWorld() {
    Schema schema = FleetSchema();
    schema.migrations.push_back(Events::SchemaMigration(100));
    store = Must(Store::Open("sqlite://" + (dir / "data").string(), schema), "open store");
    DirectoryOptions o;
    o.path = (dir / "data" / "control.db").string();
    directory = Must(Directory::Open(std::move(o), *store), "open directory");
    events = std::make_unique<Events>(*store);
    vehicles = std::make_unique<Repository<Vehicle>>(*store, Vehicles());
    ctx = BenchContext(*directory, ProvisionIn(*directory, "bench", IsolationModel::kShared));
  }
  static EventsWorld& Get() {
    static EventsWorld w;
    return w;
  }
};

void RunTransactions(benchmark::State& state, bool with_event) {
  auto& w = EventsWorld::Get();
  const boost::json::value payload = {{"vehicle", "veh-000001"}, {"seats", 4}};
  std::uint64_t n = 0;
  for (auto _ : state) {
    Vehicle v = MakeVehicle(n++ % 1000);
    auto r = w.store->Transact(*w.ctx, [&](Transaction& tx) -> Result<void> {
      if (auto u = w.vehicles->Upsert(tx, v); !u) return u;
      if (with_event) {
        auto s = w.events->Append(tx, "vehicle.updated", payload);
        if (!s) return s.error();
      }
      return {};
    });
    if (!r) state.SkipWithError(r.error().ToString().c_str());
  }
}

void BM_Events_AppendInTransaction(benchmark::State& state) { RunTransactions(state, true); }
void BM_Events_AppendInTransaction_Baseline(benchmark::State& state) { RunTransactions(state, false); }

const std::string& Body() {
  static const std::string body(1024, 'x');
  return body;
}

void BM_Webhooks_Sign(benchmark::State& state) {
  const auto secret = WebhookSecret::Generate(32);
  for (auto _ : state) {
    std::string sig = SignWebhook(secret, "msg_0000000000000001_abcdef", 1700000000, Body());
    benchmark::DoNotOptimize(sig);
  }
}

void BM_Webhooks_Sign_Baseline(benchmark::State& state) {
  unsigned char key[32];
  randombytes_buf(key, sizeof key);
  const std::string content = "msg_0000000000000001_abcdef.1700000000." + Body();
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  for (auto _ : state) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, sizeof key);
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(content.data()),
                                  content.size());
    crypto_auth_hmacsha256_final(&st, mac);
    benchmark::DoNotOptimize(mac);
  }
}

BENCHMARK(BM_Events_AppendInTransaction);
BENCHMARK(BM_Events_AppendInTransaction_Baseline);
BENCHMARK(BM_Webhooks_Sign);
BENCHMARK(BM_Webhooks_Sign_Baseline);

}  // namespace
}  // namespace tenancy::bench

BENCHMARK_MAIN();
