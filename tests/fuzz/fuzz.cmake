# The libFuzzer harnesses of tests/fuzz (included by CMakeLists.txt when
# REBATE_FUZZ is ON; scripts/fuzz.sh configures it). The core is compiled a
# second time, with coverage instrumentation and ASan + UBSan, as
# rebate_fuzz_core, so the ordinary library and tests are left as they are.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "REBATE_FUZZ needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang")
endif()

set(REBATE_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# Same sources, include folders, definitions and libraries as rebate_core
# (read from it, so a library added there is not forgotten here).
get_target_property(REBATE_FUZZ_CORE_SOURCES rebate_core SOURCES)
get_target_property(REBATE_FUZZ_CORE_INCLUDES rebate_core INCLUDE_DIRECTORIES)
get_target_property(REBATE_FUZZ_CORE_PUBLIC_INCLUDES rebate_core INTERFACE_INCLUDE_DIRECTORIES)
get_target_property(REBATE_FUZZ_CORE_DEFINITIONS rebate_core INTERFACE_COMPILE_DEFINITIONS)
get_target_property(REBATE_FUZZ_CORE_LIBRARIES rebate_core LINK_LIBRARIES)
add_library(rebate_fuzz_core STATIC ${REBATE_FUZZ_CORE_SOURCES})
target_include_directories(rebate_fuzz_core PUBLIC ${REBATE_FUZZ_CORE_PUBLIC_INCLUDES}
                           PRIVATE ${REBATE_FUZZ_CORE_INCLUDES})
target_compile_definitions(rebate_fuzz_core PUBLIC ${REBATE_FUZZ_CORE_DEFINITIONS})
target_compile_options(rebate_fuzz_core PRIVATE ${REBATE_FUZZ_SANITIZERS} -fsanitize=fuzzer-no-link)
target_link_libraries(rebate_fuzz_core PUBLIC ${REBATE_FUZZ_CORE_LIBRARIES})

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
