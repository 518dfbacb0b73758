# SPDX-License-Identifier: Apache-2.0
#
# emqx_cpp_add_plugin(<name> SOURCES <file>... MANIFEST <file>)
#
# Builds plugin <name> the way the broker loads it: a MODULE library named exactly
# <name>.so (no "lib" prefix), exporting only emqx_cpp_plugin_entry (hidden visibility
# for everything else, so two plugins never bind to each other's symbols), compiled as
# C++20 where it has C++ sources, and with its manifest copied beside it as
# <name>.plugin.toml. Both land in EMQX_CPP_PLUGIN_OUTPUT_DIR (default
# ${CMAKE_BINARY_DIR}/plugins), a folder `[plugins] search_path` can point at.
# Used by plugins built out of tree (through find_package(emqx_cpp_sdk)) and by the
# in-tree plugins alike.
include_guard(GLOBAL)

function(emqx_cpp_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MANIFEST" "SOURCES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "emqx_cpp_add_plugin(${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "emqx_cpp_add_plugin(${name}): SOURCES is required")
  endif()
  if(NOT arg_MANIFEST)
    message(FATAL_ERROR "emqx_cpp_add_plugin(${name}): MANIFEST is required")
  endif()
  if(NOT TARGET emqx_cpp::sdk)
    message(FATAL_ERROR "emqx_cpp_add_plugin(${name}): the emqx_cpp::sdk target is missing "
                        "(find_package(emqx_cpp_sdk) first)")
  endif()

  if(DEFINED EMQX_CPP_PLUGIN_OUTPUT_DIR AND NOT EMQX_CPP_PLUGIN_OUTPUT_DIR STREQUAL "")
    set(out_dir "${EMQX_CPP_PLUGIN_OUTPUT_DIR}")
  else()
    set(out_dir "${CMAKE_BINARY_DIR}/plugins")
  endif()

  get_filename_component(manifest "${arg_MANIFEST}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${manifest}")
    message(FATAL_ERROR "emqx_cpp_add_plugin(${name}): manifest ${manifest} does not exist")
  endif()
  # Catch the commonest mistake now rather than at load time: the manifest's name must
  # be the plugin's (the broker finds <name>.so and <name>.plugin.toml by it).
  file(STRINGS "${manifest}" manifest_lines)
  set(manifest_name "")
  foreach(line IN LISTS manifest_lines)
    if(line MATCHES "^[ \t]*\\[")
      break()  # top-level keys come before the first table
    endif()
    if(line MATCHES "^[ \t]*name[ \t]*=[ \t]*\"([^\"]*)\"")
      set(manifest_name "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  if(NOT manifest_name STREQUAL name)
    message(FATAL_ERROR "emqx_cpp_add_plugin(${name}): ${manifest} must say name = \"${name}\" "
                        "before its first table (found \"${manifest_name}\")")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest}")

  add_library(${name} MODULE ${arg_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    # $<1:...> keeps multi-config generators from adding a per-configuration folder.
    LIBRARY_OUTPUT_DIRECTORY "$<1:${out_dir}>")
  # GCC marks some inline statics STB_GNU_UNIQUE, which makes dlclose() keep the object
  # mapped: an unload would not unload and a reload would run the old code.
  target_compile_options(${name} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-fno-gnu-unique>)
  target_link_libraries(${name} PRIVATE emqx_cpp::sdk)

  set(manifest_out "${out_dir}/${name}.plugin.toml")
  add_custom_command(
    OUTPUT "${manifest_out}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${out_dir}"
    COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${manifest}" "${manifest_out}"
    DEPENDS "${manifest}"
    COMMENT "Copying the manifest of plugin ${name}"
    VERBATIM)
  add_custom_target(${name}_manifest DEPENDS "${manifest_out}")
  add_dependencies(${name} ${name}_manifest)
endfunction()
