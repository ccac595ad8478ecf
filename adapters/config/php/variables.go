package php

// variable reads $name, or runs $name = expr inside an expression (as in
// `if ($proxies = getenv('TRUSTED_PROXIES'))`); "$name" was read.
func (p *interp) variable(t token, live bool) (val, error) {
	switch next := p.peek(0); {
	case next.is("="):
		p.next()
		if live && (t.text == "CONFIG" || isPHPVariable(t.text)) {
			return val{}, p.unsupported(t.pos, "assigning $%s inside an expression", t.text)
		}
		if r := p.peek(0); r.is("&") {
			return val{}, p.unsupported(r.pos, "assignment by reference")
		}
		r, err := p.ternary(live)
		if err != nil || !live {
			return val{}, err
		}
		stored, err := p.copyValue(next.pos, r.v)
		if err != nil {
			return val{}, err
		}
		p.vars[t.text] = stored
		return val{v: r.v}, nil
	case isCompoundAssign(next), next.is("++"), next.is("--"):
		return val{}, p.unsupported(next.pos, "operator %s on $%s", next.text, t.text)
	}
	if !live {
		return val{}, nil
	}
	if t.text == "CONFIG" || isPHPVariable(t.text) {
		return val{}, p.unsupportedVar(t)
	}
	v, ok := p.vars[t.text]
	if !ok {
		// PHP warns and reads null; ?? takes its right side silently.
		return val{unset: true}, nil
	}
	v, err := p.copyValue(t.pos, v)
	return val{v: v}, err
}

// copyValue copies an array deeply: arrays are values in PHP, so changing
// $CONFIG later must not change a variable it was copied from, nor the
// other way round.
func (p *interp) copyValue(off int, v Value) (Value, error) {
	arr, ok := v.(*Array)
	if !ok {
		return v, nil
	}
	c, n := arr.clone()
	return c, p.spend(off, n, 0)
}
