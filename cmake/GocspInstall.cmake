# Install helpers shared by the libraries of the project.

# gocsp_install_pkgconfig(<template.pc.in>)
#
# Installs <template> (a .pc file with @VAR@ references) into
# ${CMAKE_INSTALL_LIBDIR}/pkgconfig. Besides the usual project variables the
# template may use @GOCSP_PC_PREFIX@, @GOCSP_PC_LIBDIR@ and
# @GOCSP_PC_INCLUDEDIR@. The prefix is written at install time, so
# `cmake --install build --prefix DIR` yields a .pc that points into DIR
# (DESTDIR is not part of it, as usual).
function(gocsp_install_pkgconfig template)
	get_filename_component(name "${template}" NAME)
	string(REGEX REPLACE "\\.in$" "" name "${name}")
	set(stage "${CMAKE_CURRENT_BINARY_DIR}/pkgconfig-stage/${name}.in")
	set(out "${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/${name}")

	# First pass, now: everything but the prefix.
	set(GOCSP_PC_PREFIX "@GOCSP_PC_PREFIX@")
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
	configure_file("${template}" "${stage}" @ONLY)

	# Second pass, at install time: the prefix the install really uses.
	install(CODE "
		set(GOCSP_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
		configure_file(\"${stage}\" \"${out}\" @ONLY)
	")
	install(FILES "${out}"
		DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endfunction()
