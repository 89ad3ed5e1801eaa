// The engine this test executable's storage suite runs on (fleet_fixture.hpp).
#include <string_view>

namespace tenancy::testing {
extern const std::string_view kTestEngine;
const std::string_view kTestEngine = "sqlite";
}  // namespace tenancy::testing
