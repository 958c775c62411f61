# pharos_add_plugin(NAME SOURCES src... [MODE MODULE|STATIC] [LIBRARIES lib...]
#                   [SCRIPTS file.sh...])
#
# Builds a pharos plugin. SCRIPTS (host scripts) are embedded at build time:
# `#include "NAME_scripts.h"` gives `static const char script_<file_name>[]`
# (file name with non-alphanumerics as '_', e.g. script_configure_repos_sh). MODULE (the default) makes NAME.so exporting only
# pharos_plugin_describe(); STATIC makes a static library for linking into
# the pharos binary (in-tree builds only). The target is called
# pharos-plugin-NAME. Installed as part of the SDK (find_package(PharosPlugin)).
#
# pharos_install_plugin(NAME [DESTINATION dir] [COMPONENT name]) installs the
# module into the plugin directory of the pharos it was built against
# (PHAROS_PLUGIN_DIR); COMPONENT puts it in that install component (packages).
include_guard(GLOBAL)
set(_PHAROS_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/PharosEmbed.cmake)

function(pharos_add_plugin name)
  cmake_parse_arguments(P "" "MODE" "SOURCES;LIBRARIES;SCRIPTS" ${ARGN})
  if(NOT P_MODE)
    set(P_MODE MODULE)
  endif()
  if(NOT name MATCHES "^[a-z0-9][a-z0-9-]*$")
    message(FATAL_ERROR "pharos plugin name '${name}' must match [a-z0-9][a-z0-9-]*")
  endif()
  set(target pharos-plugin-${name})
  if(P_MODE STREQUAL "MODULE")
    add_library(${target} MODULE ${P_SOURCES})
    target_compile_definitions(${target} PRIVATE PHAROS_PLUGIN_MODULE=1)
    set_target_properties(${target} PROPERTIES PREFIX "" OUTPUT_NAME "${name}")
    if(PHAROS_PLUGIN_OUTPUT_DIR)
      set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${PHAROS_PLUGIN_OUTPUT_DIR}")
    endif()
    # Every symbol must resolve at link time: plugins never use the core's symbols.
    target_link_options(${target} PRIVATE "LINKER:-z,defs")
  elseif(P_MODE STREQUAL "STATIC")
    add_library(${target} STATIC ${P_SOURCES})
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  else()
    message(FATAL_ERROR "pharos_add_plugin(${name}): MODE must be MODULE or STATIC, not '${P_MODE}'")
  endif()
  set_target_properties(${target} PROPERTIES C_VISIBILITY_PRESET hidden C_STANDARD 11)
  if(P_SCRIPTS)
    set(header ${CMAKE_CURRENT_BINARY_DIR}/${name}_scripts.h)
    set(abs "")
    foreach(s IN LISTS P_SCRIPTS)
      get_filename_component(a "${s}" ABSOLUTE)
      list(APPEND abs "${a}")
    endforeach()
    string(REPLACE ";" "|" files_arg "${abs}")
    add_custom_command(OUTPUT ${header}
      COMMAND ${CMAKE_COMMAND} -DOUT=${header} "-DFILES=${files_arg}" -P ${_PHAROS_EMBED_SCRIPT}
      DEPENDS ${abs} ${_PHAROS_EMBED_SCRIPT}
      COMMENT "Embedding host scripts of ${name}" VERBATIM)
    target_sources(${target} PRIVATE ${header})
    target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  target_link_libraries(${target} PRIVATE ${PHAROS_PLUGIN_SDK_TARGET} ${P_LIBRARIES})
endfunction()

function(pharos_install_plugin name)
  cmake_parse_arguments(P "" "DESTINATION;COMPONENT" "" ${ARGN})
  if(NOT P_DESTINATION)
    set(P_DESTINATION "${PHAROS_PLUGIN_DIR}")
  endif()
  set(component)
  if(P_COMPONENT)
    set(component COMPONENT "${P_COMPONENT}")
  endif()
  install(TARGETS pharos-plugin-${name} LIBRARY DESTINATION "${P_DESTINATION}" ${component})
endfunction()
