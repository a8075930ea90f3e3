package mask

import "reflect"

// Value masks, in place, every string reachable from ptr (a pointer to a report, a finding, a
// slice of them…): exported struct fields, slice and array elements, map values and string map
// keys, through pointers and interfaces. It is how a whole report is made safe to print or store,
// whatever its layout: file paths, field names, titles, warnings and evidence alike.
func Value(ptr any) {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	walk(v.Elem(), map[uintptr]bool{})
}

func walk(v reflect.Value, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if s := v.String(); s != "" {
				if m := String(s); m != s {
					v.SetString(m)
				}
			}
		}
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		walk(v.Elem(), seen)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		// What an interface holds cannot be set in place: mask a copy and store it back.
		e := v.Elem()
		c := reflect.New(e.Type()).Elem()
		c.Set(e)
		walk(c, seen)
		if v.CanSet() {
			v.Set(c)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range v.NumField() {
			if t.Field(i).IsExported() {
				walk(v.Field(i), seen)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // []byte: data, not text
		}
		for i := range v.Len() {
			walk(v.Index(i), seen)
		}
	case reflect.Array:
		for i := range v.Len() {
			walk(v.Index(i), seen)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		it := v.MapRange()
		type kv struct{ k, v reflect.Value }
		var set []kv
		for it.Next() {
			k := it.Key()
			nk := reflect.New(k.Type()).Elem()
			nk.Set(k)
			walk(nk, seen)
			nv := reflect.New(it.Value().Type()).Elem()
			nv.Set(it.Value())
			walk(nv, seen)
			set = append(set, kv{k, nv})
			if !nk.Equal(k) {
				v.SetMapIndex(k, reflect.Value{})
				set[len(set)-1].k = nk
			}
		}
		for _, x := range set {
			v.SetMapIndex(x.k, x.v)
		}
	}
}
