#include "offline_eval.hpp"

#include <boost/json/object.hpp>

#include <charconv>
#include <cstdio>

#include "commands.hpp"
#include "json_input.hpp"
#include "tenancy/flags.hpp"
#include "tenancy/rules.hpp"

namespace tenancyctl {
namespace {

using tenancy::Errc;

// The optional second document (rule data or evaluation context); {} when absent.
tenancy::Result<boost::json::value> ReadSecond(const Args& args, std::string_view what) {
  if (args.positional.size() < 2) return boost::json::value(boost::json::object{});
  return ReadJson(args.positional[1], what);
}

tenancy::Result<void> NeedDocuments(const Args& args, std::string_view usage) {
  if (args.positional.empty() || args.positional.size() > 2)
    return tenancy::Fail(Errc::kInvalidArgument, "usage: tenancyctl " + std::string(usage));
  if (args.positional.size() == 2 && args.positional[0] == "-" && args.positional[1] == "-")
    return tenancy::Fail(Errc::kInvalidArgument, "only one document can come from standard input");
  return {};
}

// A positive count from option `name`, or `fallback` when absent.
tenancy::Result<std::size_t> CountOption(const Args& args, std::string_view name, std::size_t fallback) {
  auto text = args.Option(name);
  if (!text) return fallback;
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || value == 0)
    return tenancy::Fail(Errc::kInvalidArgument, "--" + std::string(name) + " must be a positive integer");
  return value;
}

boost::json::object Details(std::string_view key, const tenancy::FlagDetails<boost::json::value>& d) {
  boost::json::object out;
  out["key"] = key;
  out["value"] = d.value;
  if (!d.variant.empty()) out["variant"] = d.variant;
  out["reason"] = tenancy::ToString(d.reason);
  if (!d.ok()) {
    out["errorCode"] = tenancy::ToString(d.error);
    out["errorMessage"] = d.error_message;
  }
  if (d.metadata && !d.metadata->empty()) out["metadata"] = *d.metadata;
  return out;
}

// The tenant named by --tenant-* options, joined to the context.
tenancy::Result<boost::json::object> WithTenantOptions(const Args& args, boost::json::object context) {
  auto id = args.Option("tenant-id");
  auto slug = args.Option("tenant-slug");
  auto tier = args.Option("tenant-tier");
  if (!id && !slug && !tier) return context;
  tenancy::Tenant tenant;
  if (id) {
    auto parsed = tenancy::TenantId::Parse(*id);
    if (!parsed) return tenancy::Fail(Errc::kInvalidArgument, "--tenant-id: " + parsed.error().message);
    tenant.id = *parsed;
  }
  tenant.slug = slug.value_or("");
  tenant.tier = tier.value_or("");
  return tenancy::WithTenant(tenant, std::move(context));
}

}  // namespace

int CmdRulesEval(const Args& args) {
  if (auto r = OnlyOptions(args, {"max-steps", "max-depth"}); !r) return Fail(r.error());
  if (auto r = NeedDocuments(args, "rules eval RULE [DATA]"); !r) return Fail(r.error());
  tenancy::RuleLimits limits;
  auto steps = CountOption(args, "max-steps", limits.max_steps);
  if (!steps) return Fail(steps.error());
  auto depth = CountOption(args, "max-depth", limits.max_depth);
  if (!depth) return Fail(depth.error());
  limits.max_steps = *steps;
  limits.max_depth = *depth;

  auto logic = ReadJson(args.positional[0], "rule");
  if (!logic) return Fail(logic.error());
  auto data = ReadSecond(args, "data");  // JsonLogic data may be any JSON value
  if (!data) return Fail(data.error());
  auto rule = tenancy::Rule::Compile(*logic, limits);
  if (!rule) return Fail(rule.error());
  auto result = rule->Evaluate(*data);
  if (!result) return Fail(result.error());
  PrintJson(boost::json::object{{"result", std::move(*result)}});
  return 0;
}

int CmdFlagsEval(const Args& args) {
  if (auto r = OnlyOptions(args, {"flag", "permissive", "tenant-id", "tenant-slug", "tenant-tier"}); !r)
    return Fail(r.error());
  if (auto r = NeedDocuments(args, "flags eval FLAGS [CONTEXT]"); !r) return Fail(r.error());
  auto document = ReadJson(args.positional[0], "flag set");
  if (!document) return Fail(document.error());
  auto context = ReadSecond(args, "context");
  if (!context) return Fail(context.error());
  if (!context->is_object())
    return Fail(tenancy::Error(Errc::kInvalidArgument, "context must be a JSON object"));
  auto full_context = WithTenantOptions(args, std::move(context->as_object()));
  if (!full_context) return Fail(full_context.error());

  tenancy::FlagSetOptions options;
  if (args.Flag("permissive")) options.validation = tenancy::FlagValidation::kPermissive;
  auto flags = tenancy::FlagSet::Load(*document, options);
  if (!flags) return Fail(flags.error());

  if (auto key = args.Option("flag")) {
    if (!flags->Contains(*key)) return Fail(tenancy::Error(Errc::kNotFound, "no flag '" + *key + "' in the set"));
    PrintJson(Details(*key, flags->Evaluate(*key, nullptr, *full_context)));
    return 0;
  }
  boost::json::array all;
  for (const auto& key : flags->Keys()) all.push_back(Details(key, flags->Evaluate(key, nullptr, *full_context)));
  PrintJson(boost::json::object{{"flags", std::move(all)}});
  return 0;
}

}  // namespace tenancyctl
