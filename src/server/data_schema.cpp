#include "data_schema.hpp"

namespace tenancyd {

tenancy::Schema ServerSchema() { return tenancy::Schema{}; }

}  // namespace tenancyd
