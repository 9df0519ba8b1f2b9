# Warnings are errors: a warning today is a bug report tomorrow.
add_compile_options(-Wall -Wextra -Werror -Wno-missing-field-initializers)

option(SFS_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(SFS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
