# cmake -DNM=nm -DOBJECTS=a.o;b.o -P check_self_contained.cmake
# Fails if an object has undefined symbols: the benchmark workload must not call
# into the C library (native) or the guest runtime, so that both builds run the
# same code.
foreach(obj IN LISTS OBJECTS)
  execute_process(COMMAND ${NM} -u ${obj} OUTPUT_VARIABLE undef RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} -u ${obj} failed")
  endif()
  string(STRIP "${undef}" undef)
  if(undef)
    message(FATAL_ERROR "${obj} calls outside itself:\n${undef}")
  endif()
endforeach()
