# Writes OUT, a C file defining NAME (const char[], NUL-terminated) and NAME_len with the
# bytes of IN: how docs/api/openapi.json gets into the binary without a build step a fresh
# clone has to run by hand.
# usage: cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x[0-9a-f][0-9a-f],){16}" "\\0\n" bytes "${bytes}")
file(WRITE "${OUT}" "/* Generated from ${IN} by cmake/embed.cmake: do not edit. */\n"
  "const char ${NAME}[] = {\n${bytes}0x00 };\n"
  "const unsigned long ${NAME}_len = ${len};\n")
