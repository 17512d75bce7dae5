# >>> keyconf >>>
# Added by keyconf: loads the variables keyconf manages. `keyconf remove CLIENT` takes this block out.
test -f ${env_file}; and source ${env_file}
# <<< keyconf <<<
