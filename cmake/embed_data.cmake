# Turns the data files matching GLOB in DIR into C strings in one generated
# source, sorted by name, as the table SYMBOL (rb_data_file) and
# SYMBOL_count: the program carries its default data and needs no data
# directory (data/holidays/*.txt, data/regions.tsv).
file(GLOB files ${DIR}/${GLOB})
list(SORT files)
set(body "/* Generated from ${GLOB} by cmake/embed_data.cmake: do not edit. */\n#include <stddef.h>\n#include \"rebate/data_files.h\"\n")
set(table "const rb_data_file ${SYMBOL}[] = {\n")
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
string(APPEND table "};\nconst size_t ${SYMBOL}_count = ${i};\n")
file(WRITE ${OUT}.tmp "${body}${table}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
