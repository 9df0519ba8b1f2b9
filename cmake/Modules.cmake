# Per-target include roots: a target sees the headers of the modules it
# links, and no others, so the compiler itself refuses an include across an
# arrow that CMake does not draw (docs/architecture.md, "Include roots").
#
# Usage, one line per module, after its add_library:
#
#   add_library(sfs_storage_posix STATIC posix_backend.cc)
#   sfs_module(sfs_storage_posix storage/posix)
#   target_link_libraries(sfs_storage_posix PUBLIC sfs_storage sfs_asio)
#
# A target that owns several folders names them all in its one call:
#   sfs_module(sfs_server server server/sfsp)
#
# sfs_module(<target> <dir>...) makes, at configure time, the include root
# ${CMAKE_BINARY_DIR}/include/<target>/ holding <dir>/<name>.h, one symbolic
# link per header of src/<dir>/ (not of its subfolders), and adds the root
# to the target's PUBLIC include directories. Includes keep their form
# ("storage/backend.h"). Link a module PUBLIC when the target's headers
# include it and PRIVATE when only its .cc files do (STYLE.md rule 8):
# a PUBLIC link makes the module's headers visible to whoever links the
# target, as they must be for its headers to compile.
#
# Why a link per header and not one link per folder: a link
# include/sfs_storage/storage -> src/storage would also show storage/posix/
# and storage/memory/ (nested modules of their own) to every target that
# links sfs_storage. The headers are globbed with CONFIGURE_DEPENDS, so a
# new header is linked by the next build without a manual re-configure.
function(sfs_module target)
  if(ARGC LESS 2)
    message(FATAL_ERROR "sfs_module(${target}): name at least one folder of src/")
  endif()
  set(root ${CMAKE_BINARY_DIR}/include/${target})
  # Start empty, so a header that was removed or moved is no longer seen.
  file(REMOVE_RECURSE ${root})
  foreach(dir ${ARGN})
    set(source_dir ${PROJECT_SOURCE_DIR}/src/${dir})
    if(NOT IS_DIRECTORY ${source_dir})
      message(FATAL_ERROR "sfs_module(${target}): src/${dir} is not a folder")
    endif()
    file(MAKE_DIRECTORY ${root}/${dir})
    file(GLOB headers CONFIGURE_DEPENDS RELATIVE ${source_dir} ${source_dir}/*.h)
    foreach(header ${headers})
      file(CREATE_LINK ${source_dir}/${header} ${root}/${dir}/${header} SYMBOLIC)
    endforeach()
  endforeach()
  target_include_directories(${target} PUBLIC ${root})
endfunction()
