# Turns the files matching GLOB in DIR into C strings in one generated
# source, sorted by name, as the table SYMBOL of TYPE (name, text) and its
# length COUNT, declared in HEADER: the program carries its schema and its
# default data and needs no data directory (sql/*.sql, whose migrations are
# applied in name order; data/holidays/*.txt; data/regions.tsv).
# Defaults: TYPE rb_data_file, HEADER rebate/data_files.h, COUNT SYMBOL_count.
if(NOT DEFINED TYPE)
  set(TYPE rb_data_file)
endif()
if(NOT DEFINED HEADER)
  set(HEADER rebate/data_files.h)
endif()
if(NOT DEFINED COUNT)
  set(COUNT ${SYMBOL}_count)
endif()
file(GLOB files ${DIR}/${GLOB})
list(SORT files)
set(body "/* Generated from ${GLOB} by cmake/embed_data.cmake: do not edit. */\n#include <stddef.h>\n#include \"${HEADER}\"\n")
set(table "const ${TYPE} ${SYMBOL}[] = {\n")
set(i 0)
foreach(f ${files})
  get_filename_component(name ${f} NAME)
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND body "static const char data_${i}[] = {${hex}0x00};\n")
  string(APPEND table "  {\"${name}\", data_${i}},\n")
  math(EXPR i "${i}+1")
endforeach()
if(i EQUAL 0)
  string(APPEND table "  {NULL, NULL},\n")
endif()
string(APPEND table "};\nconst size_t ${COUNT} = ${i};\n")
file(WRITE ${OUT}.tmp "${body}${table}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
