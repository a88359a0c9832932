# Test helpers. Needs the imported target PkgConfig::CMOCKA
# (tests/CMakeLists.txt finds it).

# gocsp_add_test(<name> [TIMEOUT <seconds>] [SOURCES <file>...])
#
# Builds the cmocka executable test_<name> from test_<name>.c in the calling
# directory (or from SOURCES), linked to gocsp_testing, and registers it as
# the ctest test gocsp.unit.<name>, label "unit". A test still running after
# TIMEOUT seconds (default 120) is killed and fails.
function(gocsp_add_test name)
	cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "SOURCES")
	if(arg_UNPARSED_ARGUMENTS)
		message(FATAL_ERROR
			"gocsp_add_test(${name}): unknown arguments "
			"${arg_UNPARSED_ARGUMENTS}")
	endif()
	if(NOT arg_SOURCES)
		set(arg_SOURCES "test_${name}.c")
	endif()
	if(NOT arg_TIMEOUT)
		set(arg_TIMEOUT 120)
	endif()

	add_executable(test_${name} ${arg_SOURCES})
	target_compile_options(test_${name} PRIVATE
		-Wall -Wextra -Wno-unused-parameter)
	target_link_libraries(test_${name} PRIVATE
		gocsp_testing PkgConfig::CMOCKA)

	add_test(NAME gocsp.unit.${name} COMMAND test_${name})
	set_tests_properties(gocsp.unit.${name} PROPERTIES
		TIMEOUT ${arg_TIMEOUT}
		LABELS unit)
endfunction()
