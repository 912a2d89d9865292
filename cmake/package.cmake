# The Debian package (scripts/package.sh): `cpack -G DEB` makes
# rebate_<version>_amd64.deb from the install rules of cmake/install.cmake,
# with Depends computed by dpkg-shlibdeps and the maintainer scripts of
# data/packaging/debian (account, folders, database; purge alone deletes
# the database).
set(REBATE_PACKAGE_MAINTAINER "rebate maintainers <rebate@example.org>"
    CACHE STRING "The Maintainer field of the Debian package")

# Files every Debian package carries in /usr/share/doc/rebate.
set(REBATE_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(
  OUTPUT ${REBATE_CHANGELOG_GZ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND gzip -9n -c ${CMAKE_SOURCE_DIR}/data/packaging/debian/changelog > ${REBATE_CHANGELOG_GZ}
  DEPENDS ${CMAKE_SOURCE_DIR}/data/packaging/debian/changelog)
add_custom_target(package_changelog ALL DEPENDS ${REBATE_CHANGELOG_GZ})
install(FILES ${REBATE_CHANGELOG_GZ} ${CMAKE_SOURCE_DIR}/data/packaging/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rebate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${REBATE_PACKAGE_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${REBATE_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "logrotate")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "nightly batch paying the stable-post rebate to small firms")
# The long description; CPack puts the summary above it and indents it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"rebate imports the unemployment-insurance extracts (registration, insured
units, monthly contributions) into an SQLite ledger every night, decides
every small insured firm against the policy year's parameters, computes
each rebate to the fen and publishes a batch for finance: payout file,
exceptions, decisions, summary and checksums. A firm is never paid twice.

The package creates the rebate system account, its folders under
/var/lib/rebate, /var/spool/rebate and /var/log/rebate, and an initialised
database. The nightly timer is installed but not enabled.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/data/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/data/packaging/debian/prerm
    ${CMAKE_SOURCE_DIR}/data/packaging/debian/postrm
    ${CMAKE_SOURCE_DIR}/data/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only the project's own install rules (no test or benchmark targets).
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};rebate;ALL;/")
include(CPack)
