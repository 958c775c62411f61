# pharos_add_plugin(NAME SOURCES src... [MODE MODULE|STATIC] [LIBRARIES lib...])
#
# Builds a pharos plugin. MODULE (the default) makes NAME.so exporting only
# pharos_plugin_describe(); STATIC makes a static library for linking into
# the pharos binary (in-tree builds only). The target is called
# pharos-plugin-NAME. Installed as part of the SDK (find_package(PharosPlugin)).
#
# pharos_install_plugin(NAME [DESTINATION dir]) installs the module into the
# plugin directory of the pharos it was built against (PHAROS_PLUGIN_DIR).
include_guard(GLOBAL)

function(pharos_add_plugin name)
  cmake_parse_arguments(P "" "MODE" "SOURCES;LIBRARIES" ${ARGN})
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
  target_link_libraries(${target} PRIVATE ${PHAROS_PLUGIN_SDK_TARGET} ${P_LIBRARIES})
endfunction()

function(pharos_install_plugin name)
  cmake_parse_arguments(P "" "DESTINATION" "" ${ARGN})
  if(NOT P_DESTINATION)
    set(P_DESTINATION "${PHAROS_PLUGIN_DIR}")
  endif()
  install(TARGETS pharos-plugin-${name} LIBRARY DESTINATION "${P_DESTINATION}")
endfunction()
