# `cmake --install BUILD [--prefix P]` (DESTDIR works too): the three
# programs, their man pages, the systemd unit and sysusers file, shell
# completion, an example server config and the docs, at GNUInstallDirs places.
include(GNUInstallDirs)

install(TARGETS sfs RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# sfs-server and sfs-admin are for the administrator, as sshd is.
install(TARGETS sfs-server sfs-admin RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

install(FILES docs/man/sfs.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES docs/man/sfs-server.8 docs/man/sfs-admin.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

set(SFS_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
    "Where the systemd unit goes (relative to the install prefix)")
set(SFS_SYSUSERS_DIR "lib/sysusers.d" CACHE STRING
    "Where the systemd-sysusers file goes (relative to the install prefix)")
# The unit names the installed binary and config file, so it is written at
# install time, when `--prefix` is known. /usr keeps its settings in /etc.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(SFS_SYSCONFDIR \"/etc\")
  else()
    set(SFS_SYSCONFDIR \"\${CMAKE_INSTALL_PREFIX}/etc\")
  endif()
  set(SFS_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/dist/sfs-server.service.in\"
                 \"${PROJECT_BINARY_DIR}/dist/sfs-server.service\" @ONLY)
")
install(FILES ${PROJECT_BINARY_DIR}/dist/sfs-server.service
        DESTINATION ${SFS_SYSTEMD_UNIT_DIR})
install(FILES dist/sfs.sysusers DESTINATION ${SFS_SYSUSERS_DIR} RENAME sfs.conf)

install(FILES dist/completion/sfs.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME sfs)
# Debian's zsh reads /usr/share/zsh/vendor-completions and
# /usr/local/share/zsh/site-functions.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_sfs_zsh_dir ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
else()
  set(_sfs_zsh_dir ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()
install(FILES dist/completion/_sfs DESTINATION ${_sfs_zsh_dir})

install(FILES dist/sfs-server.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES README.md docs/protocol.md docs/security.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
