// flagd's custom operators, shared by the operator registry and the tests.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "tenancy/rules.hpp"

namespace tenancy::detail::flagd {

// The largest total weight fractional accepts (flagd: a signed 32-bit sum).
inline constexpr std::uint64_t kMaxFractionalWeight = 2'147'483'647;

// The bucket a 32-bit hash falls in, flagd's v2 rule: with W the sum of the
// weights, the point (hash × W) >> 32 of [0, W) picks the bucket whose
// cumulative range holds it. nullopt when W is 0 or above kMaxFractionalWeight.
std::optional<std::size_t> PickBucket(std::uint32_t hash, std::span<const std::uint64_t> weights) noexcept;

// The operators themselves (RuleOperator functions). Each returns null, never
// an error, on bad input, as flagd does: targeting then falls back to the
// default variant.
Result<boost::json::value> Fractional(const RuleCall& call);
Result<boost::json::value> SemVerOperator(const RuleCall& call);
Result<boost::json::value> StartsWith(const RuleCall& call);
Result<boost::json::value> EndsWith(const RuleCall& call);

// FlagdOperators() plus "$ref" (one string argument, value null), for
// checking rules that still hold references.
const OperatorRegistry& FlagdOperatorsWithRefs();

}  // namespace tenancy::detail::flagd
