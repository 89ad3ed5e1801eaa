// The schema of tenant data served by tenancyd. Empty for now: the data
// plane (fleet, booking, billing) brings its migrations with it. A data
// directory migrated by a program with a newer schema (e.g. tenancyctl's
// demo fleet) is refused by Store::Open (kMigrationFailed).
#pragma once

#include "tenancy/store.hpp"

namespace tenancyd {

tenancy::Schema ServerSchema();

}  // namespace tenancyd
