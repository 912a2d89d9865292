# The libFuzzer harnesses of tests/fuzz (included by CMakeLists.txt when
# REBATE_FUZZ is ON; scripts/fuzz.sh configures it). The core is compiled a
# second time, with coverage instrumentation and ASan + UBSan, as
# rebate_fuzz_core, so the ordinary library and tests are left as they are.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "REBATE_FUZZ needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang")
endif()

set(REBATE_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

add_library(rebate_fuzz_core STATIC ${REBATE_CORE_SOURCES} ${REBATE_SQL_C})
target_include_directories(rebate_fuzz_core PUBLIC ${CMAKE_SOURCE_DIR}/include ${CSV_INCLUDE_DIR}
                           PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_compile_definitions(rebate_fuzz_core PUBLIC REBATE_VERSION="${PROJECT_VERSION}")
target_compile_options(rebate_fuzz_core PRIVATE ${REBATE_FUZZ_SANITIZERS} -fsanitize=fuzzer-no-link)
target_link_libraries(rebate_fuzz_core PUBLIC SQLite::SQLite3 PkgConfig::CRYPTO PkgConfig::INIH ${CSV_LIBRARY})

file(GLOB REBATE_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
set(REBATE_FUZZ_TARGETS)
foreach(src ${REBATE_FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests/fuzz)
  target_compile_options(${name} PRIVATE ${REBATE_FUZZ_SANITIZERS} -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE ${REBATE_FUZZ_SANITIZERS} -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE rebate_fuzz_core)
  list(APPEND REBATE_FUZZ_TARGETS ${name})
endforeach()
add_custom_target(fuzzers DEPENDS ${REBATE_FUZZ_TARGETS})
