# Install helpers shared by the parts of the project.

# gocsp_install_configured(<template.in> <destination> [RENAME <name>])
#
# Installs <template> (a file with @VAR@ references) into <destination>
# under the prefix, as <name> (default: the template's name less ".in").
# Variables are substituted now, except @GOCSP_INSTALL_PREFIX@, which is
# substituted at install time by the prefix the install really uses, so
# `cmake --install build --prefix DIR` yields a file that points into DIR
# (DESTDIR is not part of it, as usual).
function(gocsp_install_configured template destination)
	cmake_parse_arguments(PARSE_ARGV 2 arg "" "RENAME" "")
	get_filename_component(name "${template}" NAME)
	string(REGEX REPLACE "\\.in$" "" name "${name}")
	if(NOT arg_RENAME)
		set(arg_RENAME "${name}")
	endif()
	set(stage "${CMAKE_CURRENT_BINARY_DIR}/install-stage/${name}.in")
	set(out "${CMAKE_CURRENT_BINARY_DIR}/install-stage/${name}")

	# First pass, now: everything but the prefix.
	set(GOCSP_INSTALL_PREFIX "@GOCSP_INSTALL_PREFIX@")
	configure_file("${template}" "${stage}" @ONLY)

	# Second pass, at install time: the prefix the install really uses.
	install(CODE "
		set(GOCSP_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
		configure_file(\"${stage}\" \"${out}\" @ONLY)
	")
	install(FILES "${out}" DESTINATION "${destination}"
		RENAME "${arg_RENAME}")
endfunction()

# gocsp_install_path(<var> <dir>)
#
# Sets <var> to <dir> (a GNUInstallDirs value) as a full path for a
# gocsp_install_configured() template: <dir> itself when absolute, else
# @GOCSP_INSTALL_PREFIX@/<dir>.
function(gocsp_install_path var dir)
	if(IS_ABSOLUTE "${dir}")
		set(${var} "${dir}" PARENT_SCOPE)
	else()
		set(${var} "@GOCSP_INSTALL_PREFIX@/${dir}" PARENT_SCOPE)
	endif()
endfunction()

# gocsp_install_pkgconfig(<template.pc.in>)
#
# Installs <template> into ${CMAKE_INSTALL_LIBDIR}/pkgconfig with
# gocsp_install_configured(). Besides the usual project variables the
# template may use @GOCSP_PC_PREFIX@ (the install's prefix),
# @GOCSP_PC_LIBDIR@ and @GOCSP_PC_INCLUDEDIR@ (relative to ${prefix} when
# they can be).
function(gocsp_install_pkgconfig template)
	set(GOCSP_PC_PREFIX "@GOCSP_INSTALL_PREFIX@")
	if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
		set(GOCSP_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
	else()
		set(GOCSP_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
	endif()
	if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
		set(GOCSP_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
	else()
		set(GOCSP_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
	endif()
	gocsp_install_configured("${template}"
		"${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endfunction()
