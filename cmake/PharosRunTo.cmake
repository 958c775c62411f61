# cmake -DPHAROS=BIN -DPLUGINS=DIR -DARGS=a;b -DOUT=FILE -P PharosRunTo.cmake
# Runs the freshly built pharos with the build tree's plugins only and writes
# what it prints to OUT: the completion scripts and the man page are its output.
set(ENV{PHAROS_NO_SYSTEM_PLUGINS} 1)
unset(ENV{PHAROS_PLUGIN_PATH})
execute_process(COMMAND ${PHAROS} --plugin-path ${PLUGINS} ${ARGS}
  OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pharos ${ARGS} failed (${rc})")
endif()
