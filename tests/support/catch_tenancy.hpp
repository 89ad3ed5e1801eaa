// How Catch prints tenancy values in failure messages.
#pragma once

#include <catch2/catch.hpp>

#include "tenancy/result.hpp"

namespace Catch {

template <>
struct StringMaker<tenancy::Error> {
  static std::string convert(const tenancy::Error& e) { return e.ToString(); }
};

template <class T>
struct StringMaker<boost::system::result<T, tenancy::Error>> {
  static std::string convert(const boost::system::result<T, tenancy::Error>& r) {
    return r ? std::string("{ok}") : "{error " + r.error().ToString() + "}";
  }
};

}  // namespace Catch
