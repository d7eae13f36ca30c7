# Installs typenet from BUILD_DIR into a fresh prefix, then configures, builds
# and runs the app in tests/install/app against that prefix only.
set(work ${BUILD_DIR}/install-test)
file(REMOVE_RECURSE ${work})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${work}/prefix
  RESULT_VARIABLE result OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${APP_DIR} -B ${work}/app -DCMAKE_PREFIX_PATH=${work}/prefix
  -DCMAKE_CXX_COMPILER=${COMPILER} -DCMAKE_BUILD_TYPE=Release RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "configuring the app against the installed package failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${work}/app RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "building the app failed")
endif()
execute_process(COMMAND ${work}/app/app RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the app ran but did not learn")
endif()
