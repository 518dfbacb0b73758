# SPDX-License-Identifier: Apache-2.0
#
# CMake package of the emqx-cpp plugin SDK, found by find_package(emqx_cpp_sdk). It
# defines the header-only target emqx_cpp::sdk (plugin.h, plugin.hpp and the fake host
# for tests) and the function emqx_cpp_add_plugin() that builds a plugin the way the
# broker expects to load it.
if(NOT TARGET emqx_cpp::sdk)
  include("${CMAKE_CURRENT_LIST_DIR}/emqx_cpp_sdkTargets.cmake")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/EmqxCppPlugin.cmake")
set(emqx_cpp_sdk_FOUND TRUE)
