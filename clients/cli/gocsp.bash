# bash completion for gocsp(1): its commands and their options, and the
# channel and pool names of the running gocspd (from `gocsp ls` and
# `gocsp ps`, on the daemon the line names with -u, if it does).
#
# The line is split on blanks here, not with COMP_WORDS: bash splits those
# at ':' and '=' too, which URLs (ipc:///...), channel names (a:b) and
# select's cases (recv:NAME, send:NAME=MSG) hold.  What is offered is
# then cut back to the part of the word bash completes.

# The options of command $1 (gocsp $1 --help has them).
_gocsp_options()
{
	case $1 in
	make) echo "-c --cap" ;;
	send | select) echo "-t --timeout -0 --null" ;;
	recv) echo "-n --count -a --all -t --timeout -0 --null" ;;
	ls | ps) echo "--json" ;;
	stat) echo "--json --prometheus" ;;
	spawn) echo "-n --workers --name --from --to --retries --timeout" \
	    "--stream" ;;
	wait) echo "-t --timeout --progress --no-progress" ;;
	wg) echo "-t --timeout" ;;
	esac
	echo "-h --help"
}

# Whether option $2 of command $1 takes an argument.
_gocsp_takes_arg()
{
	case $1:$2 in
	make:-c | make:--cap | *:-t | *:--timeout | recv:-n | recv:--count | \
	    spawn:-n | spawn:--workers | spawn:--name | spawn:--from | \
	    spawn:--to | spawn:--retries) return 0 ;;
	esac
	return 1
}

# The first column of `gocsp ls` or `gocsp ps` ($2) of the daemon of URL
# $1 (empty: the default); nothing when it cannot be reached in time.
_gocsp_names()
{
	local url=(${1:+-u "$1"})
	timeout 2 gocsp "${url[@]}" "$2" 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_gocsp()
{
	local line=${COMP_LINE:0:COMP_POINT} words cur
	read -ra words <<<"$line"
	if [[ $line == *[[:blank:]] || ${#words[@]} -eq 0 ]]; then
		cur=
	else
		cur=${words[-1]}
		unset 'words[-1]'
	fi

	# Global options, then the command, its options and its arguments.
	local i=1 url= cmd= prev= args=0
	while ((i < ${#words[@]})); do
		local w=${words[i]}
		if [[ -z $cmd ]]; then
			case $w in
			-u | --url) url=${words[i + 1]}; ((i += 1)) ;;
			--url=*) url=${w#--url=} ;;
			-*) ;;
			*) cmd=$w ;;
			esac
		elif [[ $w == -- ]]; then
			: # spawn: what follows is the command
		elif [[ $w == -* && $w != - ]]; then
			if _gocsp_takes_arg "$cmd" "$w"; then
				prev=$w
				((i += 1))
			fi
		else
			((args++))
		fi
		((i += 1))
	done
	# prev: the option whose argument cur is.
	[[ -n $prev && $i -gt ${#words[@]} ]] || prev=
	local last=${words[-1]-}
	[[ -z $cmd && ($last == -u || $last == --url) ]] && return 0

	local offer=()
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			offer=(-u --url -h --help --version)
		else
			offer=(make close rm send recv select ls stat ping spawn wait
			    kill ps wg)
		fi
	elif [[ -n $prev ]]; then
		case $prev in
		--from | --to) offer=($(_gocsp_names "$url" ls)) ;;
		esac
	elif [[ $cur == -* && ! ($cmd == spawn && $args -gt 0) ]]; then
		offer=($(_gocsp_options "$cmd"))
	else
		case $cmd:$args in
		make:0 | close:0 | rm:0 | send:0 | recv:0 | stat:0)
			offer=($(_gocsp_names "$url" ls)) ;;
		wait:0 | kill:0)
			offer=($(_gocsp_names "$url" ps)) ;;
		wg:0)
			offer=(add done wait) ;;
		select:*)
			case $cur in
			recv:* | send:*)
				local n kind=${cur%%:*}
				for n in $(_gocsp_names "$url" ls); do
					offer+=("$kind:$n")
				done
				[[ $kind == send ]] && offer=("${offer[@]/%/=}")
				;;
			*) offer=(recv: send:) ;;
			esac
			compopt -o nospace 2>/dev/null
			;;
		spawn:0)
			offer=($(compgen -c -- "$cur")) ;;
		spawn:*)
			compopt -o filenames 2>/dev/null
			offer=($(compgen -f -- "$cur")) ;;
		esac
	fi
	COMPREPLY=($(compgen -W "${offer[*]}" -- "$cur"))

	# bash replaces only the part of the word after its last ':' or '='
	# (when COMP_WORDBREAKS holds them): offer that part.
	local c cut= rest
	for c in : =; do
		[[ $COMP_WORDBREAKS == *"$c"* && $cur == *"$c"* ]] || continue
		rest=${cur##*"$c"}
		((${#cur} - ${#rest} > ${#cut})) && cut=${cur:0:${#cur}-${#rest}}
	done
	if [[ -n $cut ]]; then
		COMPREPLY=("${COMPREPLY[@]#"$cut"}")
	fi
	return 0
}

complete -F _gocsp gocsp
