# bash completion for sfs(1): commands, options, profile names from
# ~/.config/sfs/config.toml, and local file names where a local file goes.
# Plain bash: needs nothing from the bash-completion package.
# Made from sfs's command table by `sfs --completion bash`: do not edit
# (integration.test_completion compares the two).

# The [profile.NAME] names of the client's settings file.
_sfs_profiles() {
  local conf="$HOME/.config/sfs/config.toml"
  if [[ ${XDG_CONFIG_HOME:-} == /* ]]; then
    conf="$XDG_CONFIG_HOME/sfs/config.toml"
  fi
  [[ -r $conf ]] || return 0
  sed -n 's/^[[:space:]]*\[[[:space:]]*profile\.\([A-Za-z0-9_-]*\)[[:space:]]*\].*$/\1/p' "$conf"
}

# Local names starting with $1: files and directories, or with -d as $2
# directories only.
_sfs_files() {
  compopt -o filenames 2>/dev/null
  local IFS=$'\n'
  COMPREPLY=($(compgen "${2:--f}" -- "$1"))
}

_sfs() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=${COMP_WORDS[COMP_CWORD - 1]}
  local commands="put upload get download mput mget sync view rm delete ls list stat mkdir rmdir mv
    move hash verify df menu shell trust help"
  local options="--help -h --host --port --user -u --ca-file --trust-new --password-file --profile
    --no-profile --no-resume --retries --compress --batch -b --json --completion --version"
  COMPREPLY=()

  case $prev in
    --profile)
      COMPREPLY=($(compgen -W "$(_sfs_profiles)" -- "$cur"))
      return 0
      ;;
    --ca-file | --password-file | --batch | -b)
      _sfs_files "$cur"
      return 0
      ;;
    --host)
      COMPREPLY=($(compgen -A hostname -- "$cur"))
      return 0
      ;;
    --completion)
      COMPREPLY=($(compgen -W "bash zsh" -- "$cur"))
      return 0
      ;;
    --port | --user | -u | --retries | --exclude | --bytes | -n)
      return 0
      ;;
  esac

  # The command word, and how many arguments follow it before the cursor.
  local i word command="" args=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ -z $command ]]; then
      case $word in
        --host | --port | --user | -u | --ca-file | --password-file | --profile | --retries | --batch | -b | --completion) ((i++)) ;;
        -*) ;;
        *) command=$word ;;
      esac
    else
      case $word in
        --exclude | --bytes | -n) ((i++)) ;;
        -*) ;;
        *) ((args++)) ;;
      esac
    fi
  done

  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$options" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    return 0
  fi

  if [[ $cur == -* ]]; then
    local command_options="--help"
    case $command in
      put | upload) command_options+=" --recursive -r --force --preserve -p --no-times" ;;
      get | download) command_options+=" --recursive -r --force --preserve -p --no-times" ;;
      mput) command_options+=" --recursive -r --force --preserve -p --no-times" ;;
      mget) command_options+=" --recursive -r --force --preserve -p --no-times" ;;
      sync) command_options+=" --delete --dry-run -n --force --no-times --exclude" ;;
      view) command_options+=" --bytes -n" ;;
      rm | delete) command_options+=" --recursive -r" ;;
      ls | list) command_options+=" --long -l --recursive -R --all -a --human-readable -h" ;;
      mkdir) command_options+=" --parents -p" ;;
    esac
    COMPREPLY=($(compgen -W "$command_options" -- "$cur"))
    return 0
  fi

  # Local paths: by the command and the argument's position.
  case $command:$args in
    put:* | upload:*) _sfs_files "$cur" ;;
    get:[1-9]* | download:[1-9]*) _sfs_files "$cur" ;;
    mput:*) _sfs_files "$cur" ;;
    sync:0) _sfs_files "$cur" ;;
  esac
  return 0
}

complete -F _sfs sfs
