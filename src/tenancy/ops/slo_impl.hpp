// The state behind SloMonitor: per-tenant counters (the request path adds to
// them), the evaluator's rolling buckets and alert states, the published
// health view, and the incidents database.
//
// Lock order: eval_mu → a stripe's mutex → objectives_mu → db_mu → view_mu.
// The request path takes none of them (through a probe) or one stripe's
// shared lock (by id).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "ops/slo_incidents.hpp"
#include "tenancy/slo.hpp"

namespace tenancy::detail {

struct SloSeries {
  explicit SloSeries(TenantId t) : tenant(std::move(t)) {}
  const TenantId tenant;

  // -- the request path --
  alignas(64) std::atomic<std::int64_t> total{0};
  std::atomic<std::int64_t> errors{0};
  std::atomic<std::int64_t> slow{0};
  std::atomic<std::int64_t> threshold_ns{0};  // a latency above this is slow

  // -- the tier, set by Probe (tier_mu) --
  std::mutex tier_mu;
  std::string tier;

  // -- evaluator only (eval_mu) --
  struct Bucket {
    std::int64_t epoch = -1;  // bucket index (time / width); -1: empty
    std::int64_t total = 0, errors = 0, slow = 0;
  };
  std::vector<Bucket> ring;  // allocated at the first counted request
  // since-time per (indicator, rule) while firing
  std::vector<std::optional<TimePoint>> firing;
};

}  // namespace tenancy::detail

namespace tenancy {

// Validates an objective; kInvalidArgument naming the field.
Result<void> ValidateObjective(const SloObjective& o, std::string_view what);

struct SloMonitor::Impl {
  SloOptions options;
  Clock& clock;
  std::int64_t width_s = 60;
  std::size_t ring_size = 1;

  static constexpr std::size_t kStripes = 32;
  struct Stripe {
    mutable std::shared_mutex mu;
    std::unordered_map<TenantId, std::unique_ptr<detail::SloSeries>> series;
  };
  std::array<Stripe, kStripes> stripes;

  mutable std::mutex objectives_mu;
  std::map<TenantId, SloObjective> overrides;

  mutable std::mutex db_mu;
  std::unique_ptr<detail::slo::IncidentDb> db;

  std::mutex eval_mu;
  // The open incident of each tenant (evaluator, eval_mu).
  std::map<TenantId, Incident> open;

  // What Health reads, published by each evaluation.
  struct View {
    std::vector<ActiveAlert> alerts;
    std::optional<std::int64_t> open_incident;
    std::optional<double> availability, latency;
  };
  mutable std::mutex view_mu;
  std::map<TenantId, View> views;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread evaluator;

  explicit Impl(SloOptions o) : options(std::move(o)), clock(*options.clock) {}

  Stripe& StripeOf(const TenantId& id) { return stripes[std::hash<TenantId>{}(id) % kStripes]; }
  const Stripe& StripeOf(const TenantId& id) const {
    return stripes[std::hash<TenantId>{}(id) % kStripes];
  }
  detail::SloSeries* Find(const TenantId& id) const;
  detail::SloSeries& Series(const TenantId& id, std::string_view tier);  // creates
  SloObjective ObjectiveFor(const TenantId& id, std::string_view tier) const;
  std::vector<detail::SloSeries*> AllSeries() const;
  Result<SloReport> EvaluateLocked();
};

}  // namespace tenancy
