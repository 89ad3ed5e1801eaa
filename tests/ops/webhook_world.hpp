// The events/webhooks tests' world: a store (SQLite data directory, or this
// test's PostgreSQL databases) whose schema holds the fleet tables, the
// outbox and the webhook tables; a key hierarchy so subscription secrets
// can be sealed; a directory that creates data keys; a ManualClock; and the
// Events and Webhooks under test, with a pluggable transport.
#pragma once

#include "support/catch_tenancy.hpp"

#include <filesystem>
#include <memory>
#include <string>

#include "support/fleet_fixture.hpp"
#include "support/pg_env.hpp"
#include "support/temp_dir.hpp"
#include "tenancy/directory.hpp"
#include "tenancy/events.hpp"
#include "tenancy/keys.hpp"
#include "tenancy/store.hpp"
#include "tenancy/webhooks.hpp"

namespace tenancy::testing {

inline Schema OpsSchema() {
  Schema s = FleetSchema();
  s.migrations.push_back(Events::SchemaMigration(10));
  s.migrations.push_back(Webhooks::SchemaMigration(11));
  return s;
}

// Retries a unit of work that lost a race (kUnavailable), as callers must.
template <class F>
Result<void> WithRetry(F&& f, int attempts = 200) {
  Result<void> r;
  for (int i = 0; i < attempts; ++i) {
    r = f();
    if (r || r.error() != Errc::kUnavailable) return r;
  }
  return r;
}

class OpsWorld {
 public:
  explicit OpsWorld(WebhookTransport* transport = nullptr, WebhookOptions webhook_options = {})
      : transport_(transport), webhook_options_(std::move(webhook_options)) {
    if (OnPostgres()) {
      pg_ = std::make_unique<PgDatabase>("TENANCY_TEST_PG_HOSTPORT");
      pg2_ = std::make_unique<PgDatabase>("TENANCY_TEST_PG2_HOSTPORT");
    }
    std::filesystem::create_directories(dir_.path() / "data");
    REQUIRE(WriteNewMasterKey((dir_.path() / "master.key").string(), "m1"));
    auto keys = OpenKeyFile((dir_.path() / "master.key").string());
    REQUIRE(keys);
    keys_ = std::move(*keys);
    auto keyring = Keyring::Open(control_db(), *keys_, clock_);
    REQUIRE(keyring);
    keyring_ = std::move(*keyring);
    cipher_ = std::make_unique<FieldCipher>(*keyring_);
    StoreOptions so;
    if (OnPostgres()) so.admin_url = pg_->AdminUrl();
    const std::string url =
        OnPostgres() ? pg_->Url() : "sqlite://" + (dir_.path() / "data").string();
    auto store = Store::Open(url, OpsSchema(), so);
    REQUIRE(store);
    store_ = std::move(*store);
    DirectoryOptions dopt;
    dopt.path = control_db();
    dopt.clock = &clock_;
    dopt.keyring = keyring_.get();
    auto directory = Directory::Open(dopt, *store_);
    REQUIRE(directory);
    directory_ = std::move(*directory);
    events_ = std::make_unique<Events>(*store_, EventOptions{.clock = &clock_});
    if (transport_ != nullptr) {
      webhook_options_.clock = &clock_;
      webhooks_ = std::make_unique<Webhooks>(*store_, *events_, *cipher_, *transport_,
                                             webhook_options_);
    }
  }

  std::string control_db() const { return (dir_.path() / "control.db").string(); }

  Tenant Provision(const std::string& slug, IsolationModel model) {
    ProvisionRequest req;
    req.slug = slug;
    req.model = model;
    if (OnPostgres() && model == IsolationModel::kDedicated) req.placement = pg2_->Url();
    auto r = directory_->Provision(req);
    REQUIRE(r);
    return r->tenant;
  }

  TenantContext Context(const Tenant& t, std::string request_id = "req-test") {
    auto ctx = directory_->MintContext(t.id, Principal{"tester", PrincipalKind::kService}, {},
                                       std::move(request_id));
    REQUIRE(ctx);
    return *ctx;
  }

  // Appends one event in its own transaction (retrying lost races).
  std::int64_t Emit(const TenantContext& ctx, const std::string& type, boost::json::value payload) {
    std::int64_t seq = 0;
    auto r = WithRetry([&] {
      return store_->Transact(ctx, [&](Transaction& tx) -> Result<void> {
        auto s = events_->Append(tx, type, payload);
        if (!s) return s.error();
        seq = *s;
        return {};
      });
    });
    REQUIRE(r);
    return seq;
  }

  ManualClock& clock() { return clock_; }
  Store& store() { return *store_; }
  Directory& directory() { return *directory_; }
  Events& events() { return *events_; }
  Webhooks& webhooks() { return *webhooks_; }
  Keyring& keyring() { return *keyring_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  ManualClock clock_{TimePoint{std::chrono::seconds{1'700'000'000}}};
  WebhookTransport* transport_;
  WebhookOptions webhook_options_;
  std::unique_ptr<PgDatabase> pg_, pg2_;
  std::unique_ptr<KeyProvider> keys_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<FieldCipher> cipher_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<Events> events_;
  std::unique_ptr<Webhooks> webhooks_;
};

inline constexpr IsolationModel kAllModels[] = {IsolationModel::kShared, IsolationModel::kDatabase,
                                                 IsolationModel::kDedicated};

}  // namespace tenancy::testing
