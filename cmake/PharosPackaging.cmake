# Packages made by CPack from the install components (scripts/package.sh runs
# it for the `debian` and `el` presets, which pick the generator):
#   pharos           the binary with the plugins built STATIC into it, its
#                    bash/zsh completion and pharos(1)
#   pharos-plugins   the plugins built as MODULEs, in the directory the
#                    binary searches by itself (PHAROS_PLUGIN_FULL_DIR)
#   pharos-dev       the SDK (-devel for rpm): headers, pkg-config file,
#                    CMake package
# Every install() names its component, so nothing lands in an unnamed package.
include_guard(GLOBAL)

if(NOT CPACK_GENERATOR)
  set(CPACK_GENERATOR TGZ)
endif()
set(CPACK_PACKAGE_NAME pharos)
set(CPACK_PACKAGE_VENDOR pharos)
set(CPACK_PACKAGE_CONTACT "pharos maintainers <pharos@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Kubernetes clusters on SSH-reachable Linux hosts with kubeadm")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_COMPONENTS_ALL pharos plugins dev)
set(CPACK_COMPONENTS_GROUPING IGNORE)
# The packages hold absolute paths (/usr/...); the binary has its plugin
# directory compiled in, so the package must not be relocated.
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
# Debug information stays in the build tree; rpmbuild would strip anyway.
set(CPACK_STRIP_FILES ON)

set(_desc_pharos "pharos turns SSH-reachable Linux hosts into a Kubernetes cluster with kubeadm. This package holds the binary with the OS plugins of this distribution family built in, its bash and zsh completion and pharos(1).")
set(_desc_plugins "The pharos plugins loaded at run time (kubeadm, container runtimes, network providers, addons, firewalld), in ${PHAROS_PLUGIN_FULL_DIR}.")
set(_desc_dev "SDK for pharos plugins: the plugin ABI headers, the pkg-config file pharos-plugin.pc and the CMake package PharosPlugin.")
foreach(_c pharos plugins dev)
  string(TOUPPER ${_c} _C)
  set(CPACK_COMPONENT_${_C}_DESCRIPTION "${_desc_${_c}}")
endforeach()

# Debian: dpkg-shlibdeps finds the libraries' packages (libssh2-1, libcurl4, ...).
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(_deb_version "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
set(CPACK_DEBIAN_PHAROS_PACKAGE_NAME pharos)
# Without the plugins the binary only validates: `up` needs kubeadm and a runtime.
set(CPACK_DEBIAN_PHAROS_PACKAGE_RECOMMENDS "pharos-plugins (= ${_deb_version})")
set(CPACK_DEBIAN_PLUGINS_PACKAGE_NAME pharos-plugins)
set(CPACK_DEBIAN_PLUGINS_PACKAGE_DEPENDS "pharos (= ${_deb_version})")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME pharos-dev)
# Architecture-specific although headers only: its CMake package and .pc name
# the multiarch plugin directory.
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION devel)
# Plugins built with it are loaded by this pharos: same ABI.
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "pharos (= ${_deb_version}), cmake | pkg-config")

# RPM: rpmbuild's dependency generator adds the libraries' sonames. (No weak
# dependencies: CPack finds Suggests unsupported by Debian's rpmbuild.)
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_GROUP "Applications/System")
set(_rpm_version "${PROJECT_VERSION}-${CPACK_RPM_PACKAGE_RELEASE}")
set(CPACK_RPM_PHAROS_PACKAGE_NAME pharos)
set(CPACK_RPM_PLUGINS_PACKAGE_NAME pharos-plugins)
set(CPACK_RPM_PLUGINS_PACKAGE_REQUIRES "pharos = ${_rpm_version}")
set(CPACK_RPM_DEV_PACKAGE_NAME pharos-devel)
foreach(_c pharos plugins dev)
  string(TOUPPER ${_c} _C)
  set(CPACK_RPM_${_C}_PACKAGE_DESCRIPTION "${_desc_${_c}}")
endforeach()
# Directories the distribution's own packages (filesystem, man-db,
# bash-completion, zsh, pkgconf, cmake) own: listing them too would make them
# ours.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  ${CMAKE_INSTALL_FULL_MANDIR} ${CMAKE_INSTALL_FULL_MANDIR}/man1
  ${CMAKE_INSTALL_FULL_DATADIR}/bash-completion ${CMAKE_INSTALL_FULL_DATADIR}/bash-completion/completions
  ${CMAKE_INSTALL_FULL_DATADIR}/zsh ${CMAKE_INSTALL_FULL_DATADIR}/zsh/site-functions
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_FULL_LIBDIR}/cmake)

include(CPack)
