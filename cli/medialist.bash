# bash completion for medialist(1): subcommands, options, column names and
# the names of the media offered now (names may hold spaces).
_medialist()
{
	local cur prev words cword cmd i
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	case $prev in
	-o|--output)
		COMPREPLY=($(compgen -W "NAME DEVICE TYPE SIZE BUS STATE SAFE LABEL UUID VENDOR MODEL SERIAL MOUNTPOINT OPTIONS RO RM KNAME DEVNUM REASON USAGE MOUNTTYPE NOTE" -- "${cur##*,}"))
		return ;;
	-c|--config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-s|--state-dir|-m|--media-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-t|--timeout) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--json --all --output --noheadings --wait --timeout --config --state-dir --media-dir --help --version" -- "$cur"))
		return
	fi
	cmd=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		list|info|watch|mount|unmount|umount|eject) cmd=${words[i]}; break ;;
		esac
	done
	case $cmd in
	"")
		COMPREPLY=($(compgen -W "list info watch mount unmount eject" -- "$cur")) ;;
	info|mount|unmount|umount|eject)
		local IFS=$'\n'
		COMPREPLY=($(compgen -W "$(medialist -n -o NAME 2>/dev/null | sed 's/ *$//')" -- "$cur"))
		COMPREPLY=("${COMPREPLY[@]// /\\ }") ;;
	esac
}
complete -F _medialist medialist
