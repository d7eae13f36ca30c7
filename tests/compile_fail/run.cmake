# Compiles SOURCE, which must fail, and checks that the compiler's output holds
# every line the source announces with "// expect: ". A "// flags: " line adds
# compiler flags.
file(STRINGS ${SOURCE} flags_line REGEX "^// flags: ")
string(REPLACE "// flags: " "" flags "${flags_line}")
separate_arguments(flags)
execute_process(
  COMMAND ${COMPILER} -std=c++20 -fsyntax-only ${flags} -I${INCLUDE_DIR} ${SOURCE}
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
# The expectations are written as clang prints types; GCC's output is brought
# to that form first: it names typenet's instruction-set namespace
# (typenet::sse2::Shape, see instruction_set.hpp), which clang leaves out,
# and writes "> >" where clang writes ">>".
string(REPLACE "typenet::sse2::" "typenet::" output "${output}")
string(REGEX REPLACE "> >" ">>" output "${output}")
string(REGEX REPLACE "> >" ">>" output "${output}")
file(STRINGS ${SOURCE} expectations REGEX "^// expect: ")
foreach(line IN LISTS expectations)
  string(REPLACE "// expect: " "" expected "${line}")
  string(FIND "${output}" "${expected}" position)
  if(position EQUAL -1)
    message(FATAL_ERROR "the compiler's output lacks: ${expected}\n--- output ---\n${output}")
  endif()
endforeach()
message(STATUS "failed as it must:\n${output}")
