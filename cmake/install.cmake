# What `cmake --install` places: the program, its manual pages (built from
# docs/man/*.scd with scdoc), the example config, the systemd service and
# timer, the logrotate file, the bash completion and the script that makes
# the account and folders. It only places files: the account, the owners
# and the database are made by scripts/install-accounts.sh or the package.
include(GNUInstallDirs)

install(TARGETS rebate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Manual pages: scdoc source -> roff, gzip -9n (as Debian ships them).
option(REBATE_MAN "Build and install the manual pages (needs scdoc)" ON)
if(REBATE_MAN)
  find_program(SCDOC scdoc)
  find_program(GZIP gzip REQUIRED)
  if(NOT SCDOC)
    message(FATAL_ERROR "scdoc not found: the manual pages are written in scdoc. "
                        "Install the Debian package scdoc (scripts/setup.sh does), "
                        "or configure with -DREBATE_MAN=OFF to build without them.")
  endif()
  set(REBATE_MAN_PAGES rebate.1 rebate.ini.5)
  set(REBATE_MAN_OUTPUTS)
  foreach(page ${REBATE_MAN_PAGES})
    string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
    set(roff ${CMAKE_BINARY_DIR}/man/${page})
    add_custom_command(
      OUTPUT ${roff} ${roff}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${SCDOC} < ${CMAKE_SOURCE_DIR}/docs/man/${page}.scd > ${roff}
      COMMAND ${GZIP} -9n -c ${roff} > ${roff}.gz
      DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/${page}.scd
      COMMENT "Building the manual page ${page}")
    list(APPEND REBATE_MAN_OUTPUTS ${roff} ${roff}.gz)
    install(FILES ${roff}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man ALL DEPENDS ${REBATE_MAN_OUTPUTS})
  if(REBATE_TESTS)
    # `man -l` renders each page without a warning (groff's -ww).
    find_program(MAN_PROGRAM man)
    if(MAN_PROGRAM)
      foreach(page ${REBATE_MAN_PAGES})
        add_test(NAME man/${page}
                 COMMAND ${CMAKE_SOURCE_DIR}/tests/man/check_man.sh ${CMAKE_BINARY_DIR}/man/${page})
        set_tests_properties(man/${page} PROPERTIES ENVIRONMENT "LC_ALL=C.UTF-8;MANWIDTH=80")
      endforeach()
    endif()
  endif()
endif()

# The config: under SYSCONFDIR (/etc for the prefix /usr), readable by its
# owner and group only; the group becomes rebate at account creation.
# The Debian package ships it 0644 (Debian's rule for files) and its
# postinst sets root:rebate 0640 with dpkg-statoverride, which upgrades keep.
set(REBATE_CONFIG_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
    CACHE STRING "The installed config's permissions")
install(FILES ${CMAKE_SOURCE_DIR}/data/packaging/rebate.ini
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/rebate
        PERMISSIONS ${REBATE_CONFIG_PERMISSIONS})
install(FILES ${CMAKE_SOURCE_DIR}/data/packaging/logrotate
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d RENAME rebate)
install(FILES ${CMAKE_SOURCE_DIR}/data/packaging/bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME rebate)

# systemd units: systemd's own folder for the prefix /usr (/lib/systemd/system
# on Debian 12), PREFIX/lib/systemd/system otherwise (systemd reads
# /usr/local/lib/systemd/system too).
set(REBATE_SYSTEMD_UNIT_DIR "" CACHE PATH "Where the systemd units go (default: systemd's folder for the prefix /usr)")
if(NOT REBATE_SYSTEMD_UNIT_DIR)
  set(REBATE_SYSTEMD_UNIT_DIR lib/systemd/system)
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    pkg_get_variable(REBATE_SYSTEMD_SYSTEM_DIR systemd systemdsystemunitdir)
    if(REBATE_SYSTEMD_SYSTEM_DIR)
      set(REBATE_SYSTEMD_UNIT_DIR ${REBATE_SYSTEMD_SYSTEM_DIR})
    endif()
  endif()
endif()
set(REBATE_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(REBATE_SYSCONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR})
configure_file(${CMAKE_SOURCE_DIR}/data/packaging/systemd/rebate-nightly.service.in
               ${CMAKE_BINARY_DIR}/systemd/rebate-nightly.service @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/systemd/rebate-nightly.service
              ${CMAKE_SOURCE_DIR}/data/packaging/systemd/rebate-nightly.timer
        DESTINATION ${REBATE_SYSTEMD_UNIT_DIR})

install(PROGRAMS ${CMAKE_SOURCE_DIR}/scripts/install-accounts.sh
        DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/rebate RENAME install-accounts)

# The parameter row a bureau copies for a new policy year, when present.
file(GLOB REBATE_PARAM_EXAMPLES ${CMAKE_SOURCE_DIR}/data/params/*.ini)
if(REBATE_PARAM_EXAMPLES)
  install(FILES ${REBATE_PARAM_EXAMPLES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
endif()

if(REBATE_TESTS)
  # The shipped units pass systemd-analyze verify; the bash completion works.
  add_test(NAME packaging/systemd_units
           COMMAND ${CMAKE_SOURCE_DIR}/tests/packaging/check_units.sh
                   ${CMAKE_BINARY_DIR}/systemd/rebate-nightly.service
                   ${CMAKE_SOURCE_DIR}/data/packaging/systemd/rebate-nightly.timer $<TARGET_FILE:rebate>)
  set_tests_properties(packaging/systemd_units PROPERTIES SKIP_RETURN_CODE 77)
  add_test(NAME packaging/install_destdir
           COMMAND ${CMAKE_SOURCE_DIR}/tests/packaging/check_install.sh ${CMAKE_BINARY_DIR})
  add_test(NAME packaging/bash_completion
           COMMAND ${CMAKE_SOURCE_DIR}/tests/packaging/check_completion.sh
                   ${CMAKE_SOURCE_DIR}/data/packaging/bash-completion)
endif()
