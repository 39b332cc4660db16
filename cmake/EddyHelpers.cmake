# eddy_add_module(NAME <name> SOURCES ... DEPS ... PRIVATE_DEPS ...)
# Builds the static library eddy_<name> (alias Eddy::<name>) from <name>/src, with public headers
# in <name>/include (installed as <eddy/<name>/...>).
function(eddy_add_module)
  cmake_parse_arguments(M "" "NAME;DIR" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(eddy_${M_NAME} STATIC ${M_SOURCES})
  add_library(Eddy::${M_NAME} ALIAS eddy_${M_NAME})
  set_target_properties(eddy_${M_NAME} PROPERTIES EXPORT_NAME ${M_NAME}
    POSITION_INDEPENDENT_CODE ON)
  target_include_directories(eddy_${M_NAME}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(eddy_${M_NAME} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  target_compile_options(eddy_${M_NAME} PRIVATE -Wall -Wextra)
  if(CMAKE_UNITY_BUILD)
    # In a unity file the sources are included, so GCC takes a class of one source that holds a
    # type of its anonymous namespace for a header's class (harmless here: one TU either way).
    target_compile_options(eddy_${M_NAME} PRIVATE -Wno-subobject-linkage)
  endif()
  install(TARGETS eddy_${M_NAME} EXPORT EddyTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()

# eddy_check_headers(): compiles every public header on its own (twice in one TU, which also
# checks its include guard), so a header that forgets an #include fails the build. The modules'
# headers are in <module>/include/eddy/ and, for the connectors, <folder>/<module>/include/eddy/.
function(eddy_check_headers)
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}
    ${PROJECT_SOURCE_DIR}/*/include/eddy/*.hpp ${PROJECT_SOURCE_DIR}/*/*/include/eddy/*.hpp)
  set(sources)
  foreach(h IN LISTS headers)
    string(REGEX REPLACE "^.+/include/(eddy/)" "\\1" inc ${h})
    string(MAKE_C_IDENTIFIER ${inc} id)
    set(src ${CMAKE_BINARY_DIR}/check_headers/${id}.cpp)
    file(CONFIGURE OUTPUT ${src} CONTENT "#include <${inc}>\n#include <${inc}>\n")
    list(APPEND sources ${src})
  endforeach()
  add_library(eddy_check_headers OBJECT ${sources})
  # Only whether each header compiles matters: no optimisation, no debug info.
  target_compile_options(eddy_check_headers PRIVATE -O0 -g0)
  # Each header alone: never batched, whatever CMAKE_UNITY_BUILD says.
  set_target_properties(eddy_check_headers PROPERTIES UNITY_BUILD OFF)
  target_link_libraries(eddy_check_headers PRIVATE Eddy::eddy)
  foreach(m web cep rows sql table table_connectors connectors_base files formats nexmark kafka
      mqtt postgres socket actors)
    if(TARGET eddy_${m})
      target_link_libraries(eddy_check_headers PRIVATE eddy_${m})
    endif()
  endforeach()
endfunction()
