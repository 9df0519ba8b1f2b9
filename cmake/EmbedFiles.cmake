# Writes OUT, a C++ file with the files of FILES (a list) as byte arrays and
# sfs::http::find_asset() over them, each with its SHA-256 (the ETag).
# Run at build time: cmake -DOUT=... -DFILES=a;b -P EmbedFiles.cmake
set(arrays "")
set(rows "")
set(i 0)
foreach(path IN LISTS FILES)
  get_filename_component(name "${path}" NAME)
  file(READ "${path}" hex HEX)
  file(SHA256 "${path}" sha)
  string(LENGTH "${hex}" digits)
  math(EXPR size "${digits} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "const unsigned char kFile${i}[] = {${bytes} 0};\n")
  string(APPEND rows "    {\"${name}\", {reinterpret_cast<const char*>(kFile${i}), ${size}}, \"${sha}\"},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from web/ by cmake/EmbedFiles.cmake: do not edit.
#include \"server/http/app.h\"

namespace sfs::http {
namespace {
${arrays}
const Asset kAssets[] = {
${rows}};
}  // namespace

const Asset* find_asset(std::string_view name) {
  for (const Asset& asset : kAssets) {
    if (asset.name == name) {
      return &asset;
    }
  }
  return nullptr;
}

}  // namespace sfs::http
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
